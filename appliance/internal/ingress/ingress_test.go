package ingress

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePrefixes(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{name: "empty", in: "", want: nil},
		{name: "blanks and commas", in: " , ,", want: nil},
		{name: "prefixes and addresses", in: "10.0.0.0/8, 192.0.2.7,2001:db8::/32", want: []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"}},
		{name: "masked", in: "10.1.2.3/8", want: []string{"10.0.0.0/8"}},
		{name: "IPv4-mapped", in: "::ffff:192.0.2.7,::ffff:10.0.0.0/104", want: []string{"192.0.2.7/32", "10.0.0.0/8"}},
		{name: "host name", in: "lb.example", wantErr: `"lb.example" is not a CIDR prefix or IP address`},
		{name: "bad bits", in: "10.0.0.0/33", wantErr: "is not a CIDR prefix"},
		{name: "zone", in: "fe80::1%eth0", wantErr: "zones are not allowed"},
		{name: "short mapped prefix", in: "::ffff:0.0.0.0/90", wantErr: "at least /96"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePrefixes(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			var s []string
			for _, p := range got {
				s = append(s, p.String())
			}
			assert.Equal(t, tt.want, s)
		})
	}
}

func TestTrusted(t *testing.T) {
	ps, err := ParsePrefixes("10.0.0.0/8,2001:db8::/32")
	require.NoError(t, err)
	for addr, want := range map[string]bool{"10.9.8.7": true, "::ffff:10.1.1.1": true, "11.0.0.1": false, "2001:db8::5": true, "2001:db9::5": false} {
		assert.Equal(t, want, Trusted(ps, netip.MustParseAddr(addr)), addr)
	}
}

// FuzzParsePrefixes: any input either fails or gives masked prefixes
// without zones, which parse back to themselves.
func FuzzParsePrefixes(f *testing.F) {
	for _, s := range []string{"", "10.0.0.0/8", "192.0.2.7, 2001:db8::/32", "::ffff:1.2.3.4/120", "fe80::1%lo", "1.2.3.4/-1", ",,,", "::/0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParsePrefixes(s)
		if err != nil {
			return
		}
		var again []string
		for _, p := range ps {
			if !p.IsValid() || p != p.Masked() || p.Addr().Zone() != "" || p.Addr().Is4In6() {
				t.Fatalf("ParsePrefixes(%q) gave %v", s, p)
			}
			again = append(again, p.String())
		}
		ps2, err := ParsePrefixes(strings.Join(again, ","))
		if err != nil || len(ps2) != len(ps) {
			t.Fatalf("ParsePrefixes(%q) = %v does not parse back: %v %v", s, ps, ps2, err)
		}
		for i := range ps {
			if ps[i] != ps2[i] {
				t.Fatalf("ParsePrefixes(%q): %v parses back as %v", s, ps[i], ps2[i])
			}
		}
	})
}
