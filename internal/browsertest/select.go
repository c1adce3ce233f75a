package browsertest

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/chromedp/chromedp"
)

// Select chooses the option whose visible text is option in the select
// labelled label (role combobox), as picking it with the mouse does: the
// value changes and the element fires input and change.
func (p *Page) Select(label, option string) {
	p.t.Helper()
	id := p.Find("combobox", label)
	opt, _ := json.Marshal(option)
	p.run(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		ok, err := call[bool](ctx, id, fmt.Sprintf(`function() {
			const o = [...this.options].find((o) => o.text.trim() === %s);
			if (!o) return false;
			this.focus();
			this.value = o.value;
			this.dispatchEvent(new Event("input", { bubbles: true }));
			this.dispatchEvent(new Event("change", { bubbles: true }));
			return true;
		}`, opt))
		if err == nil && !ok {
			err = fmt.Errorf("no option %s", opt)
		}
		return err
	}), fmt.Sprintf("select %q in %q", option, label))
}

// Value returns the current value of the form control with the role and
// accessible name (a text box's text, a select's chosen value).
func (p *Page) Value(role, name string) string {
	p.t.Helper()
	id := p.Find(role, name)
	var v string
	p.run(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		var err error
		v, err = call[string](ctx, id, `function() { return this.value; }`)
		return err
	}), fmt.Sprintf("read the value of %s %q", role, name))
	return v
}
