package api

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Labels are key/value pairs that mark and select the object, with the
// syntax of Kubernetes labels: at most 64; a key is an optional DNS
// subdomain prefix and "/" followed by a name of 1–63 letters, digits,
// '-', '_' and '.', starting and ending with a letter or digit; a value
// is empty or follows the name rule. In a write, null (or omitting the
// field) leaves the labels unchanged and {} removes them all. Reads
// always answer an object. The prefix jumpgate.dev/ is reserved for
// Jumpgate's tools. Lists select by label with ?label=key=value or
// ?label=key.
type Labels map[string]string

// Label limits and syntax, the same as Kubernetes labels.
const (
	// MaxLabels is the most labels one object may carry.
	MaxLabels = 64
	// MaxLabelNameLength bounds a label key's name part and a label value.
	MaxLabelNameLength = 63
	// MaxLabelPrefixLength bounds a label key's prefix (a DNS subdomain).
	MaxLabelPrefixLength = 253
	// LabelPrefix is reserved for labels set by Jumpgate's own tools (the
	// Kubernetes operator, the Terraform provider); people should not set
	// labels under it by hand.
	LabelPrefix = "jumpgate.dev/"
)

var (
	labelNameRE   = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
	labelPrefixRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

// CheckLabelKey reports why key is not a valid label key, or nil. A key is
// an optional prefix, a lower-case DNS subdomain of at most 253 characters
// followed by "/", and a name of 1–63 letters, digits, '-', '_' and '.'
// that starts and ends with a letter or digit.
func CheckLabelKey(key string) error {
	name := key
	if prefix, rest, ok := strings.Cut(key, "/"); ok {
		if prefix == "" || len(prefix) > MaxLabelPrefixLength || !labelPrefixRE.MatchString(prefix) || slices.ContainsFunc(strings.Split(prefix, "."), func(l string) bool { return len(l) > 63 }) {
			return fmt.Errorf("the key's prefix must be a lower-case DNS subdomain of at most %d characters, such as example.com", MaxLabelPrefixLength)
		}
		name = rest
	}
	if name == "" || len(name) > MaxLabelNameLength || !labelNameRE.MatchString(name) {
		return fmt.Errorf("the key's name must be 1–%d letters, digits, '-', '_' or '.', starting and ending with a letter or digit", MaxLabelNameLength)
	}
	return nil
}

// CheckLabelValue reports why value is not a valid label value, or nil. A
// value is empty, or 1–63 letters, digits, '-', '_' and '.' that starts and
// ends with a letter or digit.
func CheckLabelValue(value string) error {
	if value == "" {
		return nil
	}
	if len(value) > MaxLabelNameLength || !labelNameRE.MatchString(value) {
		return fmt.Errorf("the value must be empty or 1–%d letters, digits, '-', '_' or '.', starting and ending with a letter or digit", MaxLabelNameLength)
	}
	return nil
}
