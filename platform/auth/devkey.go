package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// Dev tokens are minted by the binary itself (`shop token`) and verified by
// the same Verifier as an issuer's, with these iss and client_id.
const (
	DevIssuer   = "urn:shop:dev"
	DevClientID = "shop-dev"
)

// DevKeyFile is the name of the dev signing key in the data directory.
const DevKeyFile = "auth-dev-key.pem"

// DevKey is the binary's own ES256 signing key for local tokens.
type DevKey struct {
	priv *ecdsa.PrivateKey
	kid  string
}

// DevConfig returns the verifier settings for dev tokens with the given
// claim names and admin group.
func DevConfig(userClaim, groupsClaim, adminGroup string) Config {
	return Config{Issuer: DevIssuer, ClientIDs: []string{DevClientID},
		UserClaim: userClaim, GroupsClaim: groupsClaim, AdminGroup: adminGroup}
}

// LoadDevKey reads the dev key in dir, creating dir and the key (readable by
// its owner only) when absent. Two processes creating it at once agree on
// one key: the file appears whole, by a hard link that fails if it exists.
func LoadDevKey(dir string) (*DevKey, error) {
	path := filepath.Join(dir, DevKeyFile)
	for range 2 {
		k, err := readDevKey(path)
		if !errors.Is(err, fs.ErrNotExist) {
			return k, err
		}
		if err := createDevKey(dir, path); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	return readDevKey(path)
}

func readDevKey(path string) (*DevKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("dev key %s: no PEM block", path)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("dev key %s: %w", path, err)
	}
	priv, ok := key.(*ecdsa.PrivateKey)
	if !ok || priv.Curve != elliptic.P256() {
		return nil, fmt.Errorf("dev key %s: not a P-256 key", path)
	}
	pub, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(pub)
	return &DevKey{priv: priv, kid: "dev-" + base64.RawURLEncoding.EncodeToString(sum[:12])}, nil
}

func createDevKey(dir, path string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, DevKeyFile+".*") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = pem.Encode(tmp, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Link(tmp.Name(), path)
}

// Keys returns the key's public half as a fixed key set.
func (k *DevKey) Keys() (*Keys, error) {
	jwk, err := jwkset.NewJWKFromKey(&k.priv.PublicKey, jwkset.JWKOptions{
		Metadata: jwkset.JWKMetadataOptions{KID: k.kid, ALG: jwkset.AlgES256, USE: jwkset.UseSig},
	})
	if err != nil {
		return nil, err
	}
	return StaticKeys(map[string]jwkset.JWK{k.kid: jwk}), nil
}

// Mint returns an access token for user in groups, valid for ttl, shaped
// like a Cognito access token under cfg's claim names.
func (k *DevKey) Mint(cfg Config, user string, groups []string, ttl time.Duration) (string, error) {
	if user == "" {
		return "", errors.New("no user name")
	}
	if ttl <= 0 {
		return "", errors.New("ttl must be positive")
	}
	now := time.Now()
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", err
	}
	claims := jwt.MapClaims{
		"iss":         cfg.Issuer,
		"sub":         user,
		"token_use":   "access",
		"client_id":   cfg.ClientIDs[0],
		"iat":         now.Unix(),
		"nbf":         now.Unix(),
		"exp":         now.Add(ttl).Unix(),
		"jti":         base64.RawURLEncoding.EncodeToString(jti[:]),
		cfg.UserClaim: user,
	}
	if len(groups) > 0 {
		claims[cfg.GroupsClaim] = groups
	}
	t := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	t.Header["kid"] = k.kid
	return t.SignedString(k.priv)
}
