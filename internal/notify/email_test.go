package notify

import (
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func testEmail(t *testing.T, o EmailOptions) *Email {
	t.Helper()
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.From == "" {
		o.From = "qmonit <qmonit@example.org>"
	}
	if o.To == "" {
		o.To = "shifters@example.org, Expert Ü <expert@example.org>"
	}
	o.Hello = "qmonit.test"
	e, err := NewEmail(o)
	if err != nil {
		t.Fatalf("NewEmail() = %v", err)
	}
	e.now = func() time.Time { return t0 }
	return e
}

func firingMessage() Message {
	a := richAlert()
	a.Title = "running drop at Zürich-LCG2 (managed/SCORE)"
	a.Summary = ".leading dot line\nsecond line with a very long tail " + strings.Repeat("x", 120)
	return Message{Kind: KindFiring, Alerts: []Alert{a.normalized()}, Time: t0}
}

func TestEmailStartTLS(t *testing.T) {
	cert, caFile := selfSigned(t)
	box, port := smtpServer{cert: &cert}.start(t)
	e := testEmail(t, EmailOptions{Port: port, CAFile: caFile, Username: smtpUser, Password: smtpPass})
	m := firingMessage()
	if err := e.Send(t.Context(), m); err != nil {
		t.Fatalf("Send() = %v", err)
	}
	got := box.all()
	if len(got) != 1 {
		t.Fatalf("%d messages delivered, want 1", len(got))
	}
	d := got[0]
	if !d.tls || d.authUser != smtpUser || d.from != "qmonit@example.org" ||
		!slices.Equal(d.to, []string{"shifters@example.org", "expert@example.org"}) {
		t.Errorf("envelope: tls %v auth %q from %q to %q", d.tls, d.authUser, d.from, d.to)
	}
	checkMessage(t, d.data, m)
}

// checkMessage parses an RFC 5322 message and checks headers and body.
func checkMessage(t *testing.T, data []byte, m Message) {
	t.Helper()
	for i, line := range strings.Split(string(data), "\r\n") {
		if len(line) > 998 || strings.Contains(line, "\n") {
			t.Errorf("line %d: %d bytes or bare LF", i, len(line))
		}
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("parse message: %v\n%s", err, data)
	}
	h := msg.Header
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || subject != Subject(m) {
		t.Errorf("Subject = %q (%v), want %q", subject, err, Subject(m))
	}
	if date, err := h.Date(); err != nil || !date.Equal(t0) {
		t.Errorf("Date = %q (%v), want %s", h.Get("Date"), err, t0)
	}
	if !regexp.MustCompile(`^<[0-9a-f]{24}\.\d+@example\.org>$`).MatchString(h.Get("Message-Id")) {
		t.Errorf("Message-ID = %q", h.Get("Message-Id"))
	}
	if !regexp.MustCompile(`^<qmonit\.[0-9a-f]{24}@example\.org>$`).MatchString(h.Get("References")) {
		t.Errorf("References = %q", h.Get("References"))
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 2 || to[1].Name != "Expert Ü" || to[1].Address != "expert@example.org" {
		t.Errorf("To = %q (%v)", h.Get("To"), err)
	}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Address != "qmonit@example.org" {
		t.Errorf("From = %q (%v)", h.Get("From"), err)
	}
	for k, want := range map[string]string{
		"Mime-Version": "1.0", "Content-Type": `text/plain; charset="utf-8"`,
		"Content-Transfer-Encoding": "quoted-printable", "Auto-Submitted": "auto-generated",
		"X-Qmonit-Kind": string(m.Kind),
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatalf("decode body: %v", err)
	}
	if want := strings.ReplaceAll(Text(m), "\n", "\r\n"); string(body) != want {
		t.Errorf("body\n%q\nwant\n%q", body, want)
	}
}

func TestEmailModes(t *testing.T) {
	cert, caFile := selfSigned(t)
	t.Run("implicit TLS", func(t *testing.T) {
		box, port := smtpServer{cert: &cert, implicit: true}.start(t)
		e := testEmail(t, EmailOptions{Port: port, TLS: SMTPTLS, CAFile: caFile, Username: smtpUser, Password: smtpPass})
		if err := e.Send(t.Context(), firingMessage()); err != nil {
			t.Fatalf("Send() = %v", err)
		}
		if got := box.all(); len(got) != 1 || !got[0].tls {
			t.Errorf("delivered %+v, want one over TLS", got)
		}
	})
	t.Run("none on loopback", func(t *testing.T) {
		box, port := smtpServer{insecureAuth: true}.start(t)
		e := testEmail(t, EmailOptions{Port: port, TLS: SMTPNone, Username: smtpUser, Password: smtpPass})
		if err := e.Send(t.Context(), firingMessage()); err != nil {
			t.Fatalf("Send() = %v", err)
		}
		if got := box.all(); len(got) != 1 || got[0].tls {
			t.Errorf("delivered %+v, want one in plain text", got)
		}
	})
}

func TestEmailErrors(t *testing.T) {
	cert, caFile := selfSigned(t)
	for _, tt := range []struct {
		name      string
		srv       smtpServer
		opts      EmailOptions
		wantFinal bool
		wantIn    []string
	}{
		{"wrong password", smtpServer{cert: &cert}, EmailOptions{CAFile: caFile, Username: smtpUser, Password: "nope"},
			true, []string{`notify "email"`, "AUTH", "status 535"}},
		{"server without STARTTLS", smtpServer{insecureAuth: true}, EmailOptions{Username: smtpUser, Password: smtpPass},
			true, []string{"does not offer STARTTLS"}},
		{"untrusted certificate", smtpServer{cert: &cert}, EmailOptions{Username: smtpUser, Password: smtpPass},
			false, []string{"STARTTLS", "certificate"}},
		{"no AUTH before MAIL", smtpServer{cert: &cert}, EmailOptions{CAFile: caFile},
			true, []string{"MAIL FROM", "status 502"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			box, port := tt.srv.start(t)
			tt.opts.Port = port
			err := testEmail(t, tt.opts).Send(t.Context(), firingMessage())
			var de *DeliveryError
			if !errors.As(err, &de) || de.Permanent() != tt.wantFinal {
				t.Fatalf("Send() = %v, want a DeliveryError with Permanent() %v", err, tt.wantFinal)
			}
			for _, s := range tt.wantIn {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			if strings.Contains(err.Error(), smtpPass) {
				t.Errorf("error contains the password: %v", err)
			}
			if n := len(box.all()); n != 0 {
				t.Errorf("%d messages delivered, want 0", n)
			}
		})
	}
	t.Run("silent server times out", func(t *testing.T) {
		port := rawServer(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
		err := testEmail(t, EmailOptions{Port: port, Timeout: 200 * time.Millisecond}).Send(t.Context(), firingMessage())
		var de *DeliveryError
		if !errors.As(err, &de) || de.Permanent() {
			t.Errorf("Send() = %v, want a retryable error", err)
		}
	})
	t.Run("endless greeting is capped", func(t *testing.T) {
		port := rawServer(t, func(c net.Conn) {
			line := []byte("220-" + strings.Repeat("x", 1000) + "\r\n")
			for {
				if _, err := c.Write(line); err != nil {
					return
				}
			}
		})
		err := testEmail(t, EmailOptions{Port: port}).Send(t.Context(), firingMessage())
		if err == nil || !strings.Contains(err.Error(), "more than 1048576 bytes") {
			t.Errorf("Send() = %v, want the read cap error", err)
		}
	})
	t.Run("closed port is retried", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		err = testEmail(t, EmailOptions{Port: port}).Send(t.Context(), firingMessage())
		var de *DeliveryError
		if !errors.As(err, &de) || de.Permanent() || !strings.Contains(err.Error(), "connect") {
			t.Errorf("Send() = %v, want a retryable connect error", err)
		}
	})
}

func TestNewEmailRejects(t *testing.T) {
	base := EmailOptions{Host: "smtp.example.org", Port: 587, From: "q@example.org", To: "a@example.org"}
	for _, tt := range []struct {
		name    string
		mod     func(o *EmailOptions)
		wantErr string
	}{
		{"valid", func(*EmailOptions) {}, ""},
		{"no host", func(o *EmailOptions) { o.Host = "" }, "host"},
		{"bad port", func(o *EmailOptions) { o.Port = 0 }, "port"},
		{"bad mode", func(o *EmailOptions) { o.TLS = "maybe" }, "tls"},
		{"none off loopback", func(o *EmailOptions) { o.TLS = SMTPNone }, "loopback"},
		{"none on ::1", func(o *EmailOptions) { o.TLS, o.Host = SMTPNone, "::1" }, ""},
		{"user without password", func(o *EmailOptions) { o.Username = "u" }, "password"},
		{"bad from", func(o *EmailOptions) { o.From = "not an address" }, "from"},
		{"no recipients", func(o *EmailOptions) { o.To = "" }, "to"},
		{"header injection", func(o *EmailOptions) { o.To = "a@example.org\r\nBcc: x@example.org" }, "line breaks"},
		{"too many recipients", func(o *EmailOptions) {
			o.To = strings.Repeat("a@example.org,", maxRecipients) + "b@example.org"
		}, "addresses"},
		{"missing CA file", func(o *EmailOptions) { o.CAFile = "/nonexistent/ca.pem" }, "ca_file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := base
			tt.mod(&o)
			_, err := NewEmail(o)
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("NewEmail() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestEncodeHeader(t *testing.T) {
	long := strings.Repeat("Zürich ", 40)
	enc := encodeHeader(long)
	for _, line := range strings.Split(enc, "\r\n") {
		if len(line) > 78 {
			t.Errorf("folded line of %d bytes: %q", len(line), line)
		}
	}
	dec, err := new(mime.WordDecoder).DecodeHeader(strings.ReplaceAll(enc, "\r\n", ""))
	if err != nil || dec != long {
		t.Errorf("round trip = %q, %v", dec, err)
	}
	if got := encodeHeader("plain ascii"); got != "plain ascii" {
		t.Errorf("ascii encoded as %q", got)
	}
}
