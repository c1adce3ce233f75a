package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/jumpgate/jumpgate/api"
)

// envConfigDir overrides the directory that holds config.json.
const envConfigDir = "JUMPGATE_CONFIG_DIR"

// errNotLoggedIn is returned when no source names an appliance.
var errNotLoggedIn = errors.New("not logged in; run 'jumpgate login --url … --token …' or set " + api.EnvURL + " and " + api.EnvToken)

// storedConfig is the credentials file written by "jumpgate login". The CA is
// kept as PEM text rather than a path so it survives the original moving.
type storedConfig struct {
	URL       string `json:"url"`
	Token     string `json:"token"`
	CACertPEM string `json:"ca_cert_pem,omitempty"`
	// InsecureHTTP records that login was told --insecure-http for URL.
	InsecureHTTP bool `json:"insecure_http,omitempty"`
}

// connFlags are the persistent --url, --token and --ca-cert flags.
type connFlags struct {
	url, token, caCert string
	// insecureHTTP allows an http:// URL on a loopback address.
	insecureHTTP bool
}

// connection is a resolved appliance address and credentials.
type connection struct {
	url, token   string
	caPEM        []byte
	insecureHTTP bool
}

func (e env) configPath() (string, error) {
	dir := e.getenv(envConfigDir)
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("find config dir (set %s): %w", envConfigDir, err)
		}
		dir = filepath.Join(base, "jumpgate")
	}
	return filepath.Join(dir, "config.json"), nil
}

// loadConfig returns the stored credentials, or nil if there are none.
func (e env) loadConfig() (*storedConfig, error) {
	path, err := e.configPath()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var c storedConfig
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	return &c, nil
}

// saveConfig writes c readable by the user only, replacing the file
// atomically so a failed write never leaves half a token behind.
func (e env) saveConfig(c *storedConfig) (string, error) {
	path, err := e.configPath()
	if err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode config: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create config dir: %w", err)
	}
	f, err := os.CreateTemp(dir, ".config-*.json") // created 0600
	if err != nil {
		return "", fmt.Errorf("write config: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return "", fmt.Errorf("write config: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("write config: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return "", fmt.Errorf("write config: %w", err)
	}
	return path, nil
}

// removeConfig deletes the stored credentials and reports whether there were any.
func (e env) removeConfig() (bool, error) {
	path, err := e.configPath()
	if err != nil {
		return false, err
	}
	err = os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("remove config: %w", err)
	}
	return true, nil
}

// flagOrEnv returns the flag value, else the environment variable.
func (e env) flagOrEnv(flag, name string) string {
	if flag != "" {
		return flag
	}
	return e.getenv(name)
}

// readToken returns t, or a line read from stdin when t is "-".
func (e env) readToken(t string) (string, error) {
	if t != "-" {
		return t, nil
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read token from stdin: %w", err)
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return "", errors.New("read token from stdin: no token given")
	}
	return line, nil
}

// readCA reads a PEM CA file named by a flag or JUMPGATE_CA_CERT.
func readCA(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ca certificate: %w", err)
	}
	return b, nil
}

// resolve picks the connection: each of url, token and CA comes from its flag,
// else its environment variable, else the stored config. The stored token and
// CA are only used for the stored URL, so pointing --url or JUMPGATE_URL at
// another appliance never sends it the stored token.
func (e env) resolve(f *connFlags) (*connection, error) {
	c := &connection{url: e.flagOrEnv(f.url, api.EnvURL), insecureHTTP: f.insecureHTTP}
	token := e.flagOrEnv(f.token, api.EnvToken)
	caFile := e.flagOrEnv(f.caCert, api.EnvCACert)

	stored, err := e.loadConfig()
	if err != nil {
		return nil, err
	}
	if stored != nil && (c.url == "" || sameURL(c.url, stored.URL)) {
		c.url = stored.URL
		if token == "" {
			token = stored.Token
		}
		if caFile == "" && stored.CACertPEM != "" {
			c.caPEM = []byte(stored.CACertPEM)
		}
		c.insecureHTTP = c.insecureHTTP || stored.InsecureHTTP
	}
	if c.url == "" {
		return nil, errNotLoggedIn
	}
	if token == "" {
		return nil, fmt.Errorf("no token for %s; pass --token, set %s or run 'jumpgate login'", c.url, api.EnvToken)
	}
	if c.token, err = e.readToken(token); err != nil {
		return nil, err
	}
	if caFile != "" {
		if c.caPEM, err = readCA(caFile); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func sameURL(a, b string) bool {
	return strings.TrimRight(a, "/") == strings.TrimRight(b, "/")
}

// client builds an API client for c.
func (c *connection) client() (*api.Client, error) {
	opts := []api.Option{api.WithToken(c.token), api.WithUserAgent("jumpgate-cli/" + api.Version)}
	if len(c.caPEM) > 0 {
		opts = append(opts, api.WithCACertPEM(c.caPEM))
	}
	if c.insecureHTTP {
		opts = append(opts, api.WithInsecureHTTP())
	}
	return api.New(c.url, opts...)
}
