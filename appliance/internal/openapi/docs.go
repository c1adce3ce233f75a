package openapi

import (
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
)

// Docs holds the Go doc comments of the wire types, as type name → field
// name → comment. The empty field name holds the type's own comment. Type
// names are bare ("JumpGroup", "List" for api.List[T]); comments are joined
// into one line.
type Docs map[string]map[string]string

// ParseDocs reads the doc comments of the struct types declared in the
// non-test Go files of dir (the api package). Only the generator and the
// tests call it: the running appliance serves the committed document.
func ParseDocs(dir string) (Docs, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("openapi: parse %s: %w", name, err)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("openapi: no Go files in %s", dir)
	}
	pkg, err := doc.NewFromFiles(fset, files, "github.com/jumpgate/jumpgate/api", doc.PreserveAST)
	if err != nil {
		return nil, fmt.Errorf("openapi: read docs of %s: %w", dir, err)
	}
	docs := Docs{}
	for _, t := range pkg.Types {
		for _, spec := range t.Decl.Specs {
			ts, ok := spec.(*ast.TypeSpec)
			if !ok || ts.Name.Name != t.Name {
				continue
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				// A named non-struct type (api.Labels): its comment
				// describes every field of that type that has none.
				if c := oneLine(t.Doc); c != "" {
					docs[t.Name] = map[string]string{"": c}
				}
				continue
			}
			fields := map[string]string{}
			if c := oneLine(t.Doc); c != "" {
				fields[""] = c
			}
			for _, f := range st.Fields.List {
				text := f.Doc.Text()
				if text == "" {
					text = f.Comment.Text()
				}
				c := oneLine(text)
				if c == "" {
					continue
				}
				for _, n := range f.Names {
					fields[n.Name] = c
				}
				if len(f.Names) == 0 { // embedded: the type's name
					fields[embeddedName(f.Type)] = c
				}
			}
			docs[t.Name] = fields
		}
	}
	return docs, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func embeddedName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.StarExpr:
		return embeddedName(x.X)
	case *ast.SelectorExpr:
		return x.Sel.Name
	case *ast.IndexExpr:
		return embeddedName(x.X)
	}
	return ""
}
