package webhooks

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// firstAllocation is the most room readBody makes for a body before its
// bytes arrive: an announced Content-Length is a promise, not bytes, and a
// client that announces a megabyte and sends nothing holds no more than
// this. Beyond it the room doubles as the bytes arrive, so a body costs at
// most about twice its size, whatever it announced.
const firstAllocation = 64 << 10

// readBody reads the body of a delivery, up to the limit and not a byte
// further.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	want := h.maxBody // room the body may need: the limit, or the announced length
	if r.ContentLength >= 0 {
		want = r.ContentLength
	}
	body := http.MaxBytesReader(w, r.Body, h.maxBody)
	buf := make([]byte, 0, min(want, firstAllocation))
	var probe [512]byte
	for {
		var n int
		var err error
		if len(buf) < cap(buf) {
			n, err = body.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
		} else {
			// Full: see whether more comes before making room for it, so
			// that a body of the announced length is read without a copy.
			n, err = body.Read(probe[:])
			if n > 0 {
				more := len(buf) // double the room, or make what the announced length still needs
				if rest := want - int64(len(buf)); rest > 0 && rest < int64(more) {
					more = int(rest)
				}
				grown := make([]byte, len(buf), len(buf)+max(more, n))
				buf = append(grown[:copy(grown, buf)], probe[:n]...)
			}
		}
		var tooLarge *http.MaxBytesError
		switch {
		case err == io.EOF:
			return buf, nil
		case errors.As(err, &tooLarge):
			return nil, fmt.Errorf("%w: limit %d", ErrBodyTooLarge, h.maxBody)
		case err != nil:
			return nil, fmt.Errorf("%w: %w", ErrBodyUnreadable, err)
		}
	}
}
