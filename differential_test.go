package webhooks_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/go-openai-webhooks/webhooks"
)

// differentialCases is how many generated deliveries TestVerifyAgreesWithStandardWebhooks
// checks.
const differentialCases = 20_000

// TestVerifyAgreesWithStandardWebhooks checks, over generated deliveries,
// that Verifier.Verify accepts exactly the deliveries that the
// standard-webhooks library's own Verify accepts, but for one difference:
// this library examines only the first webhooks.MaxSignatureEntries entries
// of webhook-signature, and refuses one longer than
// webhooks.MaxSignatureHeaderBytes, where the library reads every entry of
// a header of any length. So each verdict must equal the library's on the
// header cut after its first entries, and a header over the length must be
// refused as invalid; the generator makes lists of around that many entries
// and headers of around that length, and the test checks that the
// difference shows: some deliveries are accepted by the library and refused
// here. Both read the clock with time.Now; generated timestamps stay at
// least ten seconds from the edges of the tolerance window, so the outcome
// does not depend on when the test runs.
//
// The library reads headers with http.Header.Get, which only finds the
// canonical spelling of a name. Where the generated headers use another
// case, the library is given them as net/http would deliver them: the same
// values under canonical keys.
func TestVerifyAgreesWithStandardWebhooks(t *testing.T) {
	rng := rand.New(rand.NewSource(20261124))
	accepted, beyondBounds := 0, 0
	for i := 0; i < differentialCases; i++ {
		c := newDifferentialCase(rng)
		v, err := webhooks.NewVerifier(c.secret, webhooks.WithRawSecret()) // raw secrets are raw keys, as the library reads them
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		hook, err := standardwebhooks.NewWebhookRaw(c.key)
		if err != nil {
			t.Fatal(err)
		}
		ours := v.Verify(c.body, c.headers)
		sig := c.canonical.Get(webhooks.HeaderSignature)
		if len(sig) > webhooks.MaxSignatureHeaderBytes {
			if !errors.Is(ours, webhooks.ErrInvalidHeader) && !errors.Is(ours, webhooks.ErrMissingHeader) {
				t.Fatalf("case %d: a signature header of %d bytes: got %v, want ErrInvalidHeader (or ErrMissingHeader for another header)", i, len(sig), ours)
			}
			beyondBounds++
			continue
		}
		cut := c.canonical.Clone()
		if entries := strings.Split(sig, " "); len(entries) > webhooks.MaxSignatureEntries {
			cut.Set(webhooks.HeaderSignature, strings.Join(entries[:webhooks.MaxSignatureEntries], " "))
		}
		theirs := hook.Verify(c.body, cut)
		if (ours == nil) != (theirs == nil) {
			t.Fatalf("case %d: this library says %v, standard-webhooks says %v\nbody %q\nheaders %q", i, ours, theirs, c.body, c.headers)
		}
		if ours == nil {
			accepted++
		} else if hook.Verify(c.body, c.canonical) == nil {
			beyondBounds++ // the library finds a signature after the entries examined
		}
	}
	t.Logf("%d deliveries, %d accepted by both, %d beyond the bounds, %d rejected by both", differentialCases, accepted, beyondBounds, differentialCases-accepted-beyondBounds)
	if accepted < differentialCases/10 || accepted > differentialCases*9/10 {
		t.Fatalf("got %d of %d accepted: the generator must produce both outcomes", accepted, differentialCases)
	}
	if beyondBounds < differentialCases/100 {
		t.Fatalf("got %d of %d deliveries beyond the bounds of webhook-signature: the generator must produce them", beyondBounds, differentialCases)
	}
}

// differentialCase is one generated delivery.
type differentialCase struct {
	secret    string
	key       []byte // the key the secret stands for
	body      []byte
	headers   http.Header // as generated: any case, any subset
	canonical http.Header // the same values under canonical keys
}

func newDifferentialCase(rng *rand.Rand) differentialCase {
	var c differentialCase
	c.key = randomBytes(rng, 24+rng.Intn(41))
	c.secret = "whsec_" + base64.StdEncoding.EncodeToString(c.key)
	if rng.Intn(4) == 0 { // a raw secret, without space around it: its bytes are the key
		c.secret = "k" + randomText(rng, rng.Intn(40)) + "k"
		c.key = []byte(c.secret)
	}
	otherKey := randomBytes(rng, 32)

	c.body = randomBody(rng)
	id := pick(rng, "wh_"+strconv.FormatUint(rng.Uint64(), 16), "wh_"+strconv.FormatUint(rng.Uint64(), 16), "",
		randomText(rng, rng.Intn(20)), "msg_"+strings.Repeat("x", rng.Intn(300)))
	now := time.Now().Unix()
	inside := func() int64 { return now + int64(rng.Intn(581)) - 290 } // within 290 s
	outside := func() int64 {
		d := int64(310 + rng.Intn(100_000))
		if rng.Intn(2) == 0 {
			d = -d
		}
		return now + d
	}
	signedAt := pick(rng, inside(), inside(), inside(), inside(), inside(), outside(), int64(1<<63-1), -1<<63, 0)
	exact := strconv.FormatInt(signedAt, 10)
	ts := pick(rng, exact, exact, exact, exact, exact, exact, exact, exact,
		"", "yesterday", strconv.FormatInt(signedAt, 10)+".5", " "+strconv.FormatInt(signedAt, 10),
		"+"+strconv.FormatInt(signedAt, 10), "0"+strconv.FormatInt(signedAt, 10), "99999999999999999999")
	// Sign as the sender would (its signature covers the timestamp it meant).
	sign := func(key []byte) string {
		hook, _ := standardwebhooks.NewWebhookRaw(key)
		sig, _ := hook.Sign(id, time.Unix(signedAt, 0), c.body)
		return sig
	}
	valid, other := sign(c.key), sign(otherKey)
	var entries []string
	n := rng.Intn(5)
	if rng.Intn(10) == 0 { // around the number of entries examined
		n = webhooks.MaxSignatureEntries - 4 + rng.Intn(8)
	}
	for ; n >= 0; n-- {
		entries = append(entries, pick(rng,
			valid, valid, valid, valid, other,
			"v1,"+base64.StdEncoding.EncodeToString(randomBytes(rng, 32)),
			"v2,"+strings.TrimPrefix(valid, "v1,"),
			"v1,", ",", "", "v1", strings.TrimPrefix(valid, "v1,"),
			valid+",trailing", "v1,"+strings.TrimPrefix(valid, "v1,")[:10],
		))
	}
	if rng.Intn(20) == 0 { // around the longest header accepted
		long := "v1," + strings.Repeat("A", webhooks.MaxSignatureHeaderBytes-100+rng.Intn(200))
		entries = append(entries[:0:0], pick(rng, append(entries, long), append([]string{long}, entries...))...)
	}
	sig := strings.Join(entries, pick(rng, " ", " ", "  ", ","))

	c.headers, c.canonical = http.Header{}, http.Header{}
	for _, h := range []struct{ name, value string }{
		{webhooks.HeaderID, id}, {webhooks.HeaderTimestamp, ts}, {webhooks.HeaderSignature, sig},
	} {
		if rng.Intn(40) == 0 {
			continue // a missing header
		}
		c.canonical.Set(h.name, h.value)
		name := pick(rng, http.CanonicalHeaderKey(h.name), h.name, strings.ToUpper(h.name), mixedCase(rng, h.name))
		c.headers[name] = []string{h.value}
	}
	return c
}

// randomBody returns a JSON-like or arbitrary body.
func randomBody(rng *rand.Rand) []byte {
	switch rng.Intn(3) {
	case 0:
		return randomBytes(rng, rng.Intn(512))
	case 1:
		return []byte(fmt.Sprintf(`{"id":"evt_%d","created_at":%d,"type":"batch.completed","data":{"id":"batch_%d"}}`, rng.Int63(), rng.Int63(), rng.Int63()))
	}
	return []byte(randomText(rng, rng.Intn(200)))
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	rng.Read(b)
	return b
}

// randomText returns printable text with some spaces, dots and commas.
func randomText(rng *rand.Rand, n int) string {
	const alphabet = "abcXYZ019_-., :;\"{}éü"
	r := []rune(alphabet)
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteRune(r[rng.Intn(len(r))])
	}
	return b.String()
}

// mixedCase returns s with each letter in a random case.
func mixedCase(rng *rand.Rand, s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' && rng.Intn(2) == 0 {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func pick[T any](rng *rand.Rand, choices ...T) T {
	return choices[rng.Intn(len(choices))]
}
