package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"strconv"
	"strings"
	"sync"
)

// signatureLen is the length of a v1 signature: the padded standard base64
// of an HMAC-SHA256.
const signatureLen = (sha256.Size + 2) / 3 * 4

// A signingKey checks signatures under one key. It computes the HMAC-SHA256
// of "<id>.<timestamp>.<body>" by streaming the three parts into a hash, with
// no copy of the body, and keeps its hashes in a pool, so that checking a
// signature allocates nothing. It is safe for concurrent use.
type signingKey struct {
	pool sync.Pool // of *macState
}

// macState is one hash of a signingKey and the buffers it works in.
type macState struct {
	mac       hash.Hash
	buf       [128]byte          // "<id>.<timestamp>.", or the id in pieces
	sum       [sha256.Size]byte  // the HMAC
	want, got [signatureLen]byte // the expected signature, and a candidate
}

func newSigningKey(key []byte) *signingKey {
	key = append([]byte(nil), key...)
	k := &signingKey{}
	k.pool.New = func() any { return &macState{mac: hmac.New(sha256.New, key)} }
	return k
}

// verifies reports whether a v1 entry of the signature list matches the
// delivery of body with webhook-id id and webhook-timestamp timestamp,
// whose decimal text is decimal if not empty (see macState.sign).
//
// It reads the list as the standard-webhooks library does, up to its
// [MaxSignatureEntries]th entry: entries separated by single spaces, each
// "<version>,<signature>[,...]", of which only "v1" counts; and it compares
// as the library does, the candidate's text with the standard base64 of the
// HMAC, in constant time (hmac.Equal). The HMAC is computed only if some
// entry could match.
func (k *signingKey) verifies(id string, timestamp int64, decimal string, body []byte, list string) bool {
	var s *macState
	matched := false
	for entry := range signatureEntries(list) {
		version, sig, _ := strings.Cut(entry, ",")
		sig, _, _ = strings.Cut(sig, ",")
		if version != "v1" || len(sig) != signatureLen {
			continue
		}
		if s == nil {
			s = k.pool.Get().(*macState)
			s.sign(id, timestamp, decimal, body)
		}
		copy(s.got[:], sig)
		if matched = hmac.Equal(s.got[:], s.want[:]); matched {
			break
		}
	}
	if s != nil {
		k.pool.Put(s)
	}
	return matched
}

// sign puts the signature of the delivery into s.want. The timestamp is
// signed in decimal, as the standard-webhooks library formats it; decimal is
// that text, if the caller has it, or empty.
func (s *macState) sign(id string, timestamp int64, decimal string, body []byte) {
	s.mac.Reset()
	b := s.buf[:0]
	if len(id)+len(".-9223372036854775808.") <= len(s.buf) {
		b = append(b, id...)
	} else {
		for rest := id; rest != ""; { // hash.Hash takes []byte; copy, not convert
			n := copy(s.buf[:], rest)
			s.mac.Write(s.buf[:n])
			rest = rest[n:]
		}
	}
	b = append(b, '.')
	if decimal != "" {
		b = append(b, decimal...)
	} else {
		b = strconv.AppendInt(b, timestamp, 10)
	}
	s.mac.Write(append(b, '.'))
	s.mac.Write(body)
	base64.StdEncoding.Encode(s.want[:], s.mac.Sum(s.sum[:0]))
}
