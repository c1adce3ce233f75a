package login

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"gorm.io/gorm"

	"github.com/jumpgate/jumpgate/api"
)

// totpIssuer names the appliance in authenticator apps.
const totpIssuer = "Jumpgate"

var totpOpts = totp.ValidateOpts{Period: api.TOTPPeriodSeconds, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// sealer encrypts TOTP secrets with AES-256-GCM under a key derived from
// the appliance's key material, bound to the user id, so that a database
// dump alone does not yield the secrets.
type sealer struct{ aead cipher.AEAD }

func newSealer(material []byte) (*sealer, error) {
	key, err := hkdf.Key(sha256.New, material, nil, "jumpgate mfa secrets v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(uid int64, secret string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := s.aead.Seal(nonce, nonce, []byte(secret), []byte(strconv.FormatInt(uid, 10)))
	return base64.RawStdEncoding.EncodeToString(out), nil
}

func (s *sealer) open(uid int64, sealed string) (string, error) {
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", errors.New("open mfa secret: malformed")
	}
	n := s.aead.NonceSize()
	out, err := s.aead.Open(nil, b[:n], b[n:], []byte(strconv.FormatInt(uid, 10)))
	if err != nil {
		return "", fmt.Errorf("open mfa secret: %w", err)
	}
	return string(out), nil
}

// enrolled reports whether user uid has confirmed TOTP.
func (s *Service) enrolled(ctx context.Context, uid int64) (bool, error) {
	var n int64
	err := s.cfg.DB.R.WithContext(ctx).Model(&Secret{}).Where("user_id = ? AND confirmed_at IS NOT NULL", uid).Count(&n).Error
	return n > 0, err
}

// secretOf returns user uid's TOTP row and clear secret, or nil.
func (s *Service) secretOf(ctx context.Context, tx *gorm.DB, uid int64) (*Secret, string, error) {
	var rows []Secret
	if err := tx.WithContext(ctx).Where("user_id = ?", uid).Limit(1).Find(&rows).Error; err != nil {
		return nil, "", err
	}
	if len(rows) == 0 {
		return nil, "", nil
	}
	secret, err := s.seal.open(uid, rows[0].Sealed)
	if err != nil {
		return nil, "", err
	}
	return &rows[0], secret, nil
}

// newEnrollment makes a TOTP key for username.
func newEnrollment(username string) (*otp.Key, *api.MFAEnrollment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: username, Period: api.TOTPPeriodSeconds,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, nil, err
	}
	img, err := key.Image(256, 256)
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, nil, err
	}
	return key, &api.MFAEnrollment{Secret: key.Secret(), OTPAuthURL: key.URL(),
		QRCodePNG: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// matchStep returns the TOTP time step whose code is code, allowing one
// step of clock skew either way, or -1.
func matchStep(secret, code string, now time.Time) int64 {
	for _, d := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(d*api.TOTPPeriodSeconds) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return t.Unix() / api.TOTPPeriodSeconds
		}
	}
	return -1
}

// useTOTP checks code against row's secret and consumes its time step: a
// code (or an earlier one) that already served is refused.
func (s *Service) useTOTP(ctx context.Context, tx *gorm.DB, row *Secret, secret, code string) (bool, error) {
	step := matchStep(secret, code, s.now())
	if step < 0 {
		return false, nil
	}
	res := tx.WithContext(ctx).Model(&Secret{}).Where("user_id = ? AND last_step < ?", row.UserID, step).Update("last_step", step)
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected == 1, nil
}

// normalizeCode lower-cases a recovery code and drops dashes and blanks.
func normalizeCode(c string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return r
	}, c)
}

// newRecoveryCodes returns api.RecoveryCodeCount codes (60 random bits each,
// as xxxx-xxxx-xxxx) and the hashes stored of them.
func newRecoveryCodes() ([]string, []string, error) {
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	codes, hashes := make([]string, api.RecoveryCodeCount), make([]string, api.RecoveryCodeCount)
	for i := range codes {
		b := make([]byte, 8)
		if _, err := rand.Read(b); err != nil {
			return nil, nil, err
		}
		c := strings.ToLower(enc.EncodeToString(b))[:12]
		codes[i] = c[:4] + "-" + c[4:8] + "-" + c[8:]
		hashes[i] = hashOf(c)
	}
	return codes, hashes, nil
}

// useRecoveryCode consumes one of user uid's recovery codes.
func useRecoveryCode(ctx context.Context, tx *gorm.DB, uid int64, code string) (bool, error) {
	c := normalizeCode(code)
	if c == "" {
		return false, nil
	}
	res := tx.WithContext(ctx).Where("user_id = ? AND hash = ?", uid, hashOf(c)).Delete(&RecoveryCode{})
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected > 0, nil
}
