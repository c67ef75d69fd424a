package webhooks_test

import (
	"encoding/base64"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/go-openai-webhooks/webhooks"
)

// Secrets of the tests: whsec_ and base64 of 32 bytes, as OpenAI issues them.
var (
	testSecret  = "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	otherSecret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("fedcba9876543210fedcba9876543210"))
)

// testNow is the verifier's clock in these tests.
var testNow = time.Unix(1750287100, 0)

func clock() time.Time { return testNow }

// testDelivery is a delivery as a test builds it: signed, then perhaps changed.
type testDelivery struct {
	body    []byte
	headers http.Header
}

// signedDelivery signs body as delivery id at ts under secret, with the
// standard-webhooks library itself.
func signedDelivery(t testing.TB, secret, id string, ts time.Time, body []byte) testDelivery {
	t.Helper()
	hook, err := standardwebhooks.NewWebhook(secret)
	require.NoError(t, err)
	sig, err := hook.Sign(id, ts, body)
	require.NoError(t, err)
	h := http.Header{}
	h.Set(webhooks.HeaderID, id)
	h.Set(webhooks.HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(webhooks.HeaderSignature, sig)
	return testDelivery{body: body, headers: h}
}

func TestVerify(t *testing.T) {
	body := fixture(t, webhooks.EventTypeResponseCompleted)
	const id = "wh_685343a1b2c48190a0e7f2c1b3d4e5f6"
	signedAt := testNow.Add(-30 * time.Second)
	valid := func(t *testing.T) testDelivery { return signedDelivery(t, testSecret, id, signedAt, body) }
	at := func(ts time.Time) func(t *testing.T) testDelivery {
		return func(t *testing.T) testDelivery { return signedDelivery(t, testSecret, id, ts, body) }
	}
	// with returns the valid delivery changed by edit.
	with := func(edit func(d *testDelivery)) func(t *testing.T) testDelivery {
		return func(t *testing.T) testDelivery {
			d := valid(t)
			d.body = append([]byte(nil), d.body...)
			edit(&d)
			return d
		}
	}
	sigOf := func(t *testing.T, secret string, ts time.Time) string {
		return signedDelivery(t, secret, id, ts, body).headers.Get(webhooks.HeaderSignature)
	}

	tests := []struct {
		name     string
		delivery func(t *testing.T) testDelivery
		opts     []webhooks.Option
		wantErr  error
	}{
		{name: "valid", delivery: valid},
		{name: "tampered body", delivery: with(func(d *testDelivery) { d.body[len(d.body)/2] ^= 1 }), wantErr: webhooks.ErrInvalidSignature},
		{name: "body with a byte appended", delivery: with(func(d *testDelivery) { d.body = append(d.body, ' ') }), wantErr: webhooks.ErrInvalidSignature},
		{name: "empty body", delivery: with(func(d *testDelivery) { d.body = nil }), wantErr: webhooks.ErrInvalidSignature},
		{name: "tampered id", delivery: with(func(d *testDelivery) { d.headers.Set(webhooks.HeaderID, id+"x") }), wantErr: webhooks.ErrInvalidSignature},
		{name: "tampered timestamp", delivery: with(func(d *testDelivery) {
			d.headers.Set(webhooks.HeaderTimestamp, strconv.FormatInt(signedAt.Unix()+1, 10))
		}), wantErr: webhooks.ErrInvalidSignature},
		{name: "wrong secret", delivery: func(t *testing.T) testDelivery { return signedDelivery(t, otherSecret, id, signedAt, body) }, wantErr: webhooks.ErrInvalidSignature},
		{name: "missing webhook-id", delivery: with(func(d *testDelivery) { d.headers.Del(webhooks.HeaderID) }), wantErr: webhooks.ErrMissingHeader},
		{name: "missing webhook-timestamp", delivery: with(func(d *testDelivery) { d.headers.Del(webhooks.HeaderTimestamp) }), wantErr: webhooks.ErrMissingHeader},
		{name: "missing webhook-signature", delivery: with(func(d *testDelivery) { d.headers.Del(webhooks.HeaderSignature) }), wantErr: webhooks.ErrMissingHeader},
		{name: "empty webhook-id", delivery: with(func(d *testDelivery) { d.headers.Set(webhooks.HeaderID, "") }), wantErr: webhooks.ErrMissingHeader},
		{name: "no headers at all", delivery: with(func(d *testDelivery) { d.headers = nil }), wantErr: webhooks.ErrMissingHeader},
		{name: "timestamp not a number", delivery: with(func(d *testDelivery) { d.headers.Set(webhooks.HeaderTimestamp, "yesterday") }), wantErr: webhooks.ErrInvalidHeader},
		{name: "timestamp with fraction", delivery: with(func(d *testDelivery) {
			d.headers.Set(webhooks.HeaderTimestamp, strconv.FormatInt(signedAt.Unix(), 10)+".5")
		}), wantErr: webhooks.ErrInvalidHeader},
		{name: "timestamp in milliseconds beyond int64", delivery: with(func(d *testDelivery) { d.headers.Set(webhooks.HeaderTimestamp, "99999999999999999999") }), wantErr: webhooks.ErrInvalidHeader},
		{name: "timestamp with space", delivery: with(func(d *testDelivery) {
			d.headers.Set(webhooks.HeaderTimestamp, " "+strconv.FormatInt(signedAt.Unix(), 10))
		}), wantErr: webhooks.ErrInvalidHeader},
		{name: "several signatures, one valid", delivery: with(func(d *testDelivery) {
			d.headers.Set(webhooks.HeaderSignature, "v1,"+base64.StdEncoding.EncodeToString(make([]byte, 32))+" "+
				d.headers.Get(webhooks.HeaderSignature)+" v2,abc")
		})},
		{name: "valid signature under the other secret too", delivery: with(func(d *testDelivery) {
			d.headers.Set(webhooks.HeaderSignature, sigOf(t, otherSecret, signedAt)+" "+d.headers.Get(webhooks.HeaderSignature))
		})},
		{name: "only invalid signatures", delivery: with(func(d *testDelivery) {
			d.headers.Set(webhooks.HeaderSignature, "v1,"+base64.StdEncoding.EncodeToString(make([]byte, 32))+" v1,bm90IGEgc2lnbmF0dXJl")
		}), wantErr: webhooks.ErrInvalidSignature},
		{name: "valid signature under another version", delivery: with(func(d *testDelivery) {
			d.headers.Set(webhooks.HeaderSignature, "v2,"+strings.TrimPrefix(d.headers.Get(webhooks.HeaderSignature), "v1,"))
		}), wantErr: webhooks.ErrInvalidSignature},
		{name: "v1 with empty signature", delivery: with(func(d *testDelivery) { d.headers.Set(webhooks.HeaderSignature, "v1,") }), wantErr: webhooks.ErrInvalidHeader},
		{name: "signature without version", delivery: with(func(d *testDelivery) {
			d.headers.Set(webhooks.HeaderSignature, strings.TrimPrefix(d.headers.Get(webhooks.HeaderSignature), "v1,"))
		}), wantErr: webhooks.ErrInvalidHeader},
		{name: "signature list of spaces", delivery: with(func(d *testDelivery) { d.headers.Set(webhooks.HeaderSignature, "   ") }), wantErr: webhooks.ErrInvalidHeader},
		{name: "valid signature as the last entry examined", delivery: with(func(d *testDelivery) {
			d.headers.Set(webhooks.HeaderSignature, signatureAfter(webhooks.MaxSignatureEntries-1, d.headers.Get(webhooks.HeaderSignature)))
		})},
		{name: "valid signature after the entries examined", delivery: with(func(d *testDelivery) {
			d.headers.Set(webhooks.HeaderSignature, signatureAfter(webhooks.MaxSignatureEntries, d.headers.Get(webhooks.HeaderSignature)))
		}), wantErr: webhooks.ErrInvalidSignature},
		{name: "valid signature after the entries examined, all of them empty", delivery: with(func(d *testDelivery) {
			d.headers.Set(webhooks.HeaderSignature, strings.Repeat(" ", webhooks.MaxSignatureEntries)+d.headers.Get(webhooks.HeaderSignature))
		}), wantErr: webhooks.ErrInvalidHeader},
		{name: "signature header of the longest length accepted", delivery: with(func(d *testDelivery) {
			sig := d.headers.Get(webhooks.HeaderSignature)
			d.headers.Set(webhooks.HeaderSignature, sig+" v2,"+strings.Repeat("x", webhooks.MaxSignatureHeaderBytes-len(sig)-4))
		})},
		{name: "signature header one byte too long", delivery: with(func(d *testDelivery) {
			sig := d.headers.Get(webhooks.HeaderSignature)
			d.headers.Set(webhooks.HeaderSignature, sig+" v2,"+strings.Repeat("x", webhooks.MaxSignatureHeaderBytes-len(sig)-3))
		}), wantErr: webhooks.ErrInvalidHeader},
		{name: "a million blank entries", delivery: with(func(d *testDelivery) {
			d.headers.Set(webhooks.HeaderSignature, strings.Repeat(" ", 1_000_000)+d.headers.Get(webhooks.HeaderSignature))
		}), wantErr: webhooks.ErrInvalidHeader},
		{name: "exactly the tolerance old", delivery: at(testNow.Add(-webhooks.DefaultTolerance))},
		{name: "exactly the tolerance ahead", delivery: at(testNow.Add(webhooks.DefaultTolerance))},
		{name: "one second too old", delivery: at(testNow.Add(-webhooks.DefaultTolerance - time.Second)), wantErr: webhooks.ErrTimestampTooOld},
		{name: "one second too far ahead", delivery: at(testNow.Add(webhooks.DefaultTolerance + time.Second)), wantErr: webhooks.ErrTimestampTooNew},
		{name: "too old and a bad signature reports the signature", delivery: func(t *testing.T) testDelivery {
			return signedDelivery(t, otherSecret, id, testNow.Add(-time.Hour), body)
		}, wantErr: webhooks.ErrInvalidSignature},
		{name: "timestamp at the int64 maximum", delivery: at(time.Unix(math.MaxInt64, 0)), wantErr: webhooks.ErrTimestampTooNew},
		{name: "timestamp at the int64 minimum", delivery: at(time.Unix(math.MinInt64, 0)), wantErr: webhooks.ErrTimestampTooOld},
		{name: "custom tolerance: at its edge", delivery: at(testNow.Add(-10 * time.Second)), opts: []webhooks.Option{webhooks.WithTolerance(10 * time.Second)}},
		{name: "custom tolerance: past it", delivery: at(testNow.Add(-11 * time.Second)), opts: []webhooks.Option{webhooks.WithTolerance(10 * time.Second)}, wantErr: webhooks.ErrTimestampTooOld},
		{name: "custom tolerance: ahead past it", delivery: at(testNow.Add(11 * time.Second)), opts: []webhooks.Option{webhooks.WithTolerance(10 * time.Second)}, wantErr: webhooks.ErrTimestampTooNew},
		{name: "custom tolerance: wider than the default", delivery: at(testNow.Add(-time.Hour)), opts: []webhooks.Option{webhooks.WithTolerance(2 * time.Hour)}},
		{name: "rotated secret: signed with the old one", delivery: func(t *testing.T) testDelivery {
			return signedDelivery(t, otherSecret, id, signedAt, body)
		}, opts: []webhooks.Option{webhooks.WithAdditionalSecrets(otherSecret)}},
		{name: "rotated secret: signed with the new one", delivery: valid, opts: []webhooks.Option{webhooks.WithAdditionalSecrets(otherSecret)}},
		{name: "rotated secret: signed with neither", delivery: func(t *testing.T) testDelivery {
			return signedDelivery(t, "whsec_"+base64.StdEncoding.EncodeToString(make([]byte, 32)), id, signedAt, body)
		}, opts: []webhooks.Option{webhooks.WithAdditionalSecrets(otherSecret)}, wantErr: webhooks.ErrInvalidSignature},
		{name: "lower-case header keys", delivery: with(func(d *testDelivery) {
			d.headers = http.Header{
				"webhook-id":        {d.headers.Get(webhooks.HeaderID)},
				"webhook-timestamp": {d.headers.Get(webhooks.HeaderTimestamp)},
				"webhook-signature": {d.headers.Get(webhooks.HeaderSignature)},
			}
		})},
		{name: "upper-case and mixed header keys", delivery: with(func(d *testDelivery) {
			d.headers = http.Header{
				"WEBHOOK-ID":        {d.headers.Get(webhooks.HeaderID)},
				"Webhook-Timestamp": {d.headers.Get(webhooks.HeaderTimestamp)},
				"webhook-Signature": {d.headers.Get(webhooks.HeaderSignature)},
			}
		})},
		{name: "lower-case keys, one missing", delivery: with(func(d *testDelivery) {
			d.headers = http.Header{
				"webhook-id":        {d.headers.Get(webhooks.HeaderID)},
				"webhook-signature": {d.headers.Get(webhooks.HeaderSignature)},
			}
		}), wantErr: webhooks.ErrMissingHeader},
		{name: "lower-case keys, tampered body", delivery: with(func(d *testDelivery) {
			d.body[0] = ' '
			d.headers = http.Header{
				"webhook-id":        {d.headers.Get(webhooks.HeaderID)},
				"webhook-timestamp": {d.headers.Get(webhooks.HeaderTimestamp)},
				"webhook-signature": {d.headers.Get(webhooks.HeaderSignature)},
			}
		}), wantErr: webhooks.ErrInvalidSignature},
		{name: "a key with the Kelvin sign is not webhook-id", delivery: with(func(d *testDelivery) {
			d.headers["webhoo\u212a-id"] = []string{id}
			d.headers.Del(webhooks.HeaderID)
		}), wantErr: webhooks.ErrMissingHeader},
		{name: "two non-canonical spellings of one header", delivery: with(func(d *testDelivery) {
			d.headers["webhook-id"] = []string{id}
			d.headers["WEBHOOK-ID"] = []string{"wh_other"}
			d.headers.Del(webhooks.HeaderID)
		}), wantErr: webhooks.ErrInvalidHeader},
		{name: "canonical key wins over another spelling", delivery: with(func(d *testDelivery) {
			d.headers["webhook-id"] = []string{"wh_other"}
		})},
		{name: "first of several values counts", delivery: with(func(d *testDelivery) {
			d.headers.Add(webhooks.HeaderSignature, "v1,"+base64.StdEncoding.EncodeToString(make([]byte, 32)))
		})},
		{name: "only a later value is valid", delivery: with(func(d *testDelivery) {
			good := d.headers.Get(webhooks.HeaderSignature)
			d.headers.Set(webhooks.HeaderSignature, "v1,"+base64.StdEncoding.EncodeToString(make([]byte, 32)))
			d.headers.Add(webhooks.HeaderSignature, good)
		}), wantErr: webhooks.ErrInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := webhooks.NewVerifier(testSecret, append([]webhooks.Option{webhooks.WithClock(clock)}, tt.opts...)...)
			require.NoError(t, err)
			d := tt.delivery(t)

			err = v.Verify(d.body, d.headers)
			if tt.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.wantErr)
				assertSecretsNotIn(t, err, d)
			}

			event, err := v.Unwrap(d.body, d.headers)
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Equal(t, fixtureEvents[webhooks.EventTypeResponseCompleted], withoutRaw(event))
				assertRawIsData(t, d.body, event)
			} else {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, event)
			}
		})
	}
}

// assertSecretsNotIn checks that err's message holds neither a secret nor
// a signature the verifier computed.
func assertSecretsNotIn(t *testing.T, err error, d testDelivery) {
	t.Helper()
	msg := err.Error()
	for _, secret := range []string{testSecret, otherSecret} {
		assert.NotContains(t, msg, strings.TrimPrefix(secret, "whsec_"))
		ts, _ := strconv.ParseInt(d.headers.Get(webhooks.HeaderTimestamp), 10, 64)
		hook, hookErr := standardwebhooks.NewWebhook(secret)
		require.NoError(t, hookErr)
		expected, _ := hook.Sign(d.headers.Get(webhooks.HeaderID), time.Unix(ts, 0), d.body)
		assert.NotContains(t, msg, strings.TrimPrefix(expected, "v1,"))
	}
}

func TestVerifyIsOneClassOfErrorEach(t *testing.T) {
	sentinels := []error{
		webhooks.ErrInvalidSecret, webhooks.ErrInvalidOption, webhooks.ErrMissingHeader, webhooks.ErrInvalidHeader,
		webhooks.ErrInvalidSignature, webhooks.ErrTimestampTooOld, webhooks.ErrTimestampTooNew, webhooks.ErrInvalidPayload,
	}
	for _, s := range sentinels {
		assert.Regexp(t, `^webhooks: [a-z0-9 -]+$`, s.Error(), "sentinel messages are lower case and prefixed")
		matches := 0
		for _, other := range sentinels {
			if errors.Is(s, other) {
				matches++
			}
		}
		assert.Equal(t, 1, matches, "got %v matching %d sentinels, want 1", s, matches)
	}
}

func TestNewVerifierSecrets(t *testing.T) {
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", n))) }
	key32 := b64(32)
	raw := []webhooks.Option{webhooks.WithRawSecret()}
	tests := []struct {
		name    string
		secret  string
		opts    []webhooks.Option
		wantErr error
	}{
		{"whsec_ with 32 bytes", "whsec_" + key32, nil, nil},
		{"whsec_ with 24 bytes", "whsec_" + b64(24), nil, nil},
		{"whsec_ with 64 bytes", "whsec_" + b64(64), nil, nil},
		{"whsec_ with 32 bytes, WithRawSecret: still base64", "whsec_" + key32, raw, nil},
		{"unprefixed: the two readings disagree", "my-signing-secret", nil, webhooks.ErrInvalidSecret},
		{"unprefixed base64, the dashboard's value without whsec_", key32, nil, webhooks.ErrInvalidSecret},
		{"unprefixed, one byte", "k", nil, webhooks.ErrInvalidSecret},
		{"whsec- typo", "whsec-" + key32, nil, webhooks.ErrInvalidSecret},
		{"WHSEC_ in upper case", "WHSEC_" + key32, nil, webhooks.ErrInvalidSecret},
		{"whsec without the underscore", "whsec" + key32, nil, webhooks.ErrInvalidSecret},
		{"an API key", "sk-proj-" + strings.Repeat("a1B2", 20), nil, webhooks.ErrInvalidSecret},
		{"a legacy API key", "sk-" + strings.Repeat("a1B2", 12), nil, webhooks.ErrInvalidSecret},
		{"raw key bytes, WithRawSecret", "my-signing-secret", raw, nil},
		{"raw key that looks like base64, WithRawSecret", key32, raw, nil},
		{"raw key of one byte, WithRawSecret", "k", raw, nil},
		{"raw key with a space inside, WithRawSecret", "my signing secret", raw, nil},
		{"raw key with a trailing newline, WithRawSecret", "my-signing-secret\n", raw, webhooks.ErrInvalidSecret},
		{"empty", "", nil, webhooks.ErrInvalidSecret},
		{"empty, WithRawSecret", "", raw, webhooks.ErrInvalidSecret},
		{"whsec_ alone", "whsec_", nil, webhooks.ErrInvalidSecret},
		{"whsec_ with 23 bytes", "whsec_" + b64(23), nil, webhooks.ErrInvalidSecret},
		{"whsec_ with 65 bytes", "whsec_" + b64(65), nil, webhooks.ErrInvalidSecret},
		{"whsec_ with characters outside base64", "whsec_" + key32[:40] + "!!!!", nil, webhooks.ErrInvalidSecret},
		{"whsec_ with URL-safe base64", "whsec_" + base64.URLEncoding.EncodeToString([]byte(strings.Repeat("\xfb\xff", 16))), nil, webhooks.ErrInvalidSecret},
		{"whsec_ without padding", "whsec_" + base64.RawStdEncoding.EncodeToString([]byte(strings.Repeat("k", 32))), nil, webhooks.ErrInvalidSecret},
		{"whsec_ with non-zero padding bits", "whsec_" + key32[:len(key32)-2] + "l=", nil, webhooks.ErrInvalidSecret},
		{"whsec_ with an embedded newline", "whsec_" + key32[:20] + "\n" + key32[20:], nil, webhooks.ErrInvalidSecret},
		{"whsec_ with a trailing newline", "whsec_" + key32 + "\n", nil, webhooks.ErrInvalidSecret},
		{"whsec_ with a leading space", "whsec_ " + key32, nil, webhooks.ErrInvalidSecret},
		{"whsec_ twice", "whsec_whsec_" + key32, nil, webhooks.ErrInvalidSecret},
		{"whsec_ secret with a leading space, as pasted", " whsec_" + key32, nil, webhooks.ErrInvalidSecret},
		{"whsec_ secret with a trailing space", "whsec_" + key32 + " ", nil, webhooks.ErrInvalidSecret},
		{"whsec_ secret with a trailing CRLF", "whsec_" + key32 + "\r\n", nil, webhooks.ErrInvalidSecret},
		{"whsec_ secret with a leading tab", "\twhsec_" + key32, nil, webhooks.ErrInvalidSecret},
		{"whsec_ secret with a trailing no-break space", "whsec_" + key32 + "\u00a0", nil, webhooks.ErrInvalidSecret},
		{"whitespace only", "   ", nil, webhooks.ErrInvalidSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := webhooks.NewVerifier(tt.secret, tt.opts...)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, v)
				assert.Regexp(t, secretErrors, err.Error(), "fixed text, never any of the secret")
				_, err = webhooks.Sign(tt.secret, "wh_1", testNow, []byte("{}"), tt.opts...)
				require.ErrorIs(t, err, tt.wantErr, "Sign reads secrets by the same rules")
				_, err = webhooks.NewVerifier(testSecret, append([]webhooks.Option{webhooks.WithAdditionalSecrets(tt.secret)}, tt.opts...)...)
				require.ErrorIs(t, err, tt.wantErr, "WithAdditionalSecrets reads secrets by the same rules")
				return
			}
			require.NoError(t, err)

			// The key is what was decoded (or the raw bytes): a delivery
			// that Sign signed with the secret verifies, one signed with
			// another secret does not.
			sig, err := webhooks.Sign(tt.secret, "wh_1", testNow, []byte("{}"), tt.opts...)
			require.NoError(t, err)
			h := http.Header{}
			h.Set(webhooks.HeaderID, "wh_1")
			h.Set(webhooks.HeaderTimestamp, strconv.FormatInt(testNow.Unix(), 10))
			h.Set(webhooks.HeaderSignature, sig)
			v, err = webhooks.NewVerifier(tt.secret, append([]webhooks.Option{webhooks.WithClock(clock)}, tt.opts...)...)
			require.NoError(t, err)
			require.NoError(t, v.Verify([]byte("{}"), h))
			other, err := webhooks.NewVerifier(otherSecret, webhooks.WithClock(clock))
			require.NoError(t, err)
			require.ErrorIs(t, other.Verify([]byte("{}"), h), webhooks.ErrInvalidSignature)
		})
	}
}

// TestSecretErrorsSayWhatToWrite: each way of getting the secret wrong has
// its own message, so that the fix is in the message.
func TestSecretErrorsSayWhatToWrite(t *testing.T) {
	key32 := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
	messages := map[string]string{}
	for name, secret := range map[string]string{
		"unprefixed": key32,
		"typo":       "whsec-" + key32,
		"API key":    "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789",
		"not base64": "whsec_!!!!" + key32,
	} {
		_, err := webhooks.NewVerifier(secret)
		require.ErrorIs(t, err, webhooks.ErrInvalidSecret, name)
		messages[err.Error()] = name
	}
	assert.Len(t, messages, 4, "got %v, want a message of its own for each mistake", messages)
}

func TestRawSecretMatchesStandardWebhooksRawKey(t *testing.T) {
	const raw = "a raw secret, used as key bytes"
	hook, err := standardwebhooks.NewWebhookRaw([]byte(raw))
	require.NoError(t, err)
	want, err := hook.Sign("wh_1", testNow, []byte("{}"))
	require.NoError(t, err)
	got, err := webhooks.Sign(raw, "wh_1", testNow, []byte("{}"), webhooks.WithRawSecret())
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

func TestNewVerifierOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    []webhooks.Option
		wantErr error
	}{
		{"no options", nil, nil},
		{"positive tolerance", []webhooks.Option{webhooks.WithTolerance(time.Second)}, nil},
		{"zero tolerance", []webhooks.Option{webhooks.WithTolerance(0)}, webhooks.ErrInvalidOption},
		{"negative tolerance", []webhooks.Option{webhooks.WithTolerance(-time.Minute)}, webhooks.ErrInvalidOption},
		{"nil clock", []webhooks.Option{webhooks.WithClock(nil)}, webhooks.ErrInvalidOption},
		{"additional secrets", []webhooks.Option{webhooks.WithAdditionalSecrets(otherSecret)}, nil},
		{"additional raw secret", []webhooks.Option{webhooks.WithAdditionalSecrets(otherSecret, "raw"), webhooks.WithRawSecret()}, nil},
		{"additional unprefixed secret", []webhooks.Option{webhooks.WithAdditionalSecrets(otherSecret, "raw")}, webhooks.ErrInvalidSecret},
		{"no additional secrets", []webhooks.Option{webhooks.WithAdditionalSecrets()}, nil},
		{"bad additional secret", []webhooks.Option{webhooks.WithAdditionalSecrets(otherSecret, "")}, webhooks.ErrInvalidSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := webhooks.NewVerifier(testSecret, tt.opts...)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, v)
				return
			}
			require.NoError(t, err)
			assert.NotNil(t, v)
		})
	}
}

func TestSign(t *testing.T) {
	body := fixture(t, webhooks.EventTypeBatchCompleted)
	hook, err := standardwebhooks.NewWebhook(testSecret)
	require.NoError(t, err)
	want, err := hook.Sign("wh_1", testNow, body)
	require.NoError(t, err)

	got, err := webhooks.Sign(testSecret, "wh_1", testNow, body)
	require.NoError(t, err)
	assert.Equal(t, want, got, "got a signature the standard-webhooks library does not compute")
	assert.True(t, strings.HasPrefix(got, "v1,"), "got %q, want a v1 signature", got)

	_, err = webhooks.Sign(testSecret, "", testNow, body)
	require.ErrorIs(t, err, webhooks.ErrMissingHeader)
}

func TestUnwrapPackageLevel(t *testing.T) {
	body := fixture(t, webhooks.EventTypeRealtimeCallIncoming)
	d := signedDelivery(t, testSecret, "wh_1", testNow, body)

	event, err := webhooks.Unwrap(d.body, d.headers, testSecret, webhooks.WithClock(clock))
	require.NoError(t, err)
	assert.Equal(t, fixtureEvents[webhooks.EventTypeRealtimeCallIncoming], withoutRaw(event))

	event, err = webhooks.Unwrap(d.body, d.headers, "")
	require.ErrorIs(t, err, webhooks.ErrInvalidSecret)
	assert.Nil(t, event)

	event, err = webhooks.Unwrap(d.body, d.headers, testSecret) // real clock: long past
	require.ErrorIs(t, err, webhooks.ErrTimestampTooOld)
	assert.Nil(t, event)
}

func TestUnwrapRejectsAuthenticInvalidPayload(t *testing.T) {
	body := []byte(`{"id":"evt_1","created_at":"yesterday","type":"batch.completed","data":{"id":"batch_1"}}`)
	d := signedDelivery(t, testSecret, "wh_1", testNow, body)
	v, err := webhooks.NewVerifier(testSecret, webhooks.WithClock(clock))
	require.NoError(t, err)
	require.NoError(t, v.Verify(d.body, d.headers))

	event, err := v.Unwrap(d.body, d.headers)
	require.ErrorIs(t, err, webhooks.ErrInvalidPayload)
	assert.Nil(t, event)
}

func TestVerifierConcurrentUse(t *testing.T) {
	v, err := webhooks.NewVerifier(testSecret, webhooks.WithClock(clock), webhooks.WithAdditionalSecrets(otherSecret))
	require.NoError(t, err)
	good := signedDelivery(t, otherSecret, "wh_1", testNow, fixture(t, webhooks.EventTypeBatchFailed))
	bad := testDelivery{body: good.body[:len(good.body)-1], headers: good.headers}

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 32; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := v.Unwrap(good.body, good.headers)
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, err := v.Unwrap(bad.body, bad.headers)
			if !errors.Is(err, webhooks.ErrInvalidSignature) {
				errs <- err
				return
			}
			errs <- nil
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// signatureAfter returns the signature list of n invalid v1 entries, then
// sig.
func signatureAfter(n int, sig string) string {
	invalid := "v1," + base64.StdEncoding.EncodeToString(make([]byte, 32))
	return strings.Repeat(invalid+" ", n) + sig
}
