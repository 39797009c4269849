package notify

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SMTP transport security modes.
const (
	SMTPStartTLS = "starttls" // plain connection upgraded with STARTTLS (required)
	SMTPTLS      = "tls"      // implicit TLS from the first byte (port 465)
	SMTPNone     = "none"     // no TLS; only for a loopback host
)

// Limits of one SMTP session.
const (
	maxSMTPRead   = 1 << 20 // bytes the server may send in one session
	maxSubject    = 200
	maxRecipients = 100
)

// EmailOptions configure an Email sender.
type EmailOptions struct {
	Channel  string // name in errors and metrics; "" means "email"
	Host     string
	Port     int
	TLS      string // SMTPStartTLS (default), SMTPTLS or SMTPNone
	CAFile   string // extra trusted CAs for the server certificate
	Username string // AUTH PLAIN when set
	Password string
	From     string // one address, "qmonit <qmonit@example.org>"
	To       string // comma-separated addresses
	// Hello is the name sent in EHLO; "" means the host name.
	Hello string
	// Timeout bounds one session when ctx has no earlier deadline; 0 means
	// 30 s.
	Timeout time.Duration
}

// Email sends messages over SMTP: STARTTLS (or implicit TLS) with the
// server certificate verified, AUTH PLAIN only over TLS, one message with
// every recipient.
type Email struct {
	channel string
	addr    string
	mode    string
	tls     *tls.Config
	user    string
	pass    string
	from    *mail.Address
	to      []*mail.Address
	hello   string
	domain  string // for Message-IDs
	timeout time.Duration
	now     func() time.Time
}

// NewEmail checks the options and reads the CA file.
func NewEmail(o EmailOptions) (*Email, error) {
	ch := cmp.Or(o.Channel, "email")
	fail := func(format string, args ...any) (*Email, error) {
		return nil, fmt.Errorf("notify %q: %s", ch, fmt.Sprintf(format, args...))
	}
	mode := cmp.Or(o.TLS, SMTPStartTLS)
	switch {
	case o.Host == "":
		return fail("host: empty")
	case o.Port < 1 || o.Port > 65535:
		return fail("port %d: want 1..65535", o.Port)
	case mode != SMTPStartTLS && mode != SMTPTLS && mode != SMTPNone:
		return fail("tls %q: want starttls, tls or none", o.TLS)
	case mode == SMTPNone && !IsLoopback(o.Host):
		return fail("tls none: only allowed for a loopback host, got %q", o.Host)
	case (o.Username == "") != (o.Password == ""):
		return fail("username and password: set both or neither")
	}
	from, to, err := ParseAddresses(o.From, o.To)
	if err != nil {
		return fail("%v", err)
	}
	tlsConf, err := tlsConfig(o.CAFile, o.Host)
	if err != nil {
		return fail("%v", err)
	}
	hello := o.Hello
	if hello == "" {
		if hello, err = os.Hostname(); err != nil || hello == "" {
			hello = "localhost"
		}
	}
	_, domain, _ := strings.Cut(from.Address, "@")
	return &Email{
		channel: ch, addr: net.JoinHostPort(o.Host, strconv.Itoa(o.Port)), mode: mode, tls: tlsConf,
		user: o.Username, pass: o.Password, from: from, to: to, hello: hello,
		domain: cmp.Or(domain, hello), timeout: cmp.Or(o.Timeout, 30*time.Second), now: time.Now,
	}, nil
}

// ParseAddresses parses the sender and the comma-separated recipients.
func ParseAddresses(from, to string) (*mail.Address, []*mail.Address, error) {
	if strings.ContainsAny(from+to, "\r\n") {
		return nil, nil, errors.New("from, to: line breaks not allowed")
	}
	f, err := mail.ParseAddress(from)
	if err != nil {
		return nil, nil, fmt.Errorf("from %q: %w", from, err)
	}
	rs, err := mail.ParseAddressList(to)
	if err != nil {
		return nil, nil, fmt.Errorf("to: %w", err)
	}
	if len(rs) == 0 || len(rs) > maxRecipients {
		return nil, nil, fmt.Errorf("to: %d addresses, want 1..%d", len(rs), maxRecipients)
	}
	return f, rs, nil
}

// IsLoopback reports whether host is "localhost" or a loopback IP.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Send implements Sender: one SMTP session within ctx's deadline.
func (e *Email) Send(ctx context.Context, m Message) error {
	now := e.now()
	msg, err := e.compose(m, now)
	if err != nil {
		return &DeliveryError{Channel: e.channel, Op: "compose", Final: true, Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	c, err := e.dial(ctx)
	if err != nil {
		return e.smtpError("connect", err)
	}
	defer c.Close()
	return e.session(c, msg)
}

// dial connects (with implicit TLS in SMTPTLS mode). The connection obeys
// ctx's deadline and is closed when ctx ends; Send's deferred cancel ends
// it.
func (e *Email) dial(ctx context.Context) (*smtp.Client, error) {
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", e.addr)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = raw.SetDeadline(dl)
	}
	context.AfterFunc(ctx, func() { _ = raw.Close() })
	var conn net.Conn = &capConn{Conn: raw, left: maxSMTPRead}
	if e.mode == SMTPTLS {
		tc := tls.Client(conn, e.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		conn = tc
	}
	host, _, _ := net.SplitHostPort(e.addr)
	return smtp.NewClient(conn, host)
}

func (e *Email) session(c *smtp.Client, msg []byte) error {
	if err := c.Hello(e.hello); err != nil {
		return e.smtpError("EHLO", err)
	}
	if e.mode == SMTPStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return &DeliveryError{Channel: e.channel, Op: "smtp " + e.addr + " STARTTLS", Final: true,
				Err: errors.New("server does not offer STARTTLS, which is required (tls: starttls)")}
		}
		if err := c.StartTLS(e.tls); err != nil {
			return e.smtpError("STARTTLS", err)
		}
	}
	if e.user != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return &DeliveryError{Channel: e.channel, Op: "smtp " + e.addr + " AUTH", Final: true,
				Err: errors.New("server does not offer AUTH")}
		}
		if err := c.Auth(plainAuth{user: e.user, pass: e.pass, insecure: e.mode == SMTPNone}); err != nil {
			return e.smtpError("AUTH", err)
		}
	}
	if err := c.Mail(e.from.Address); err != nil {
		return e.smtpError("MAIL FROM", err)
	}
	for _, r := range e.to {
		if err := c.Rcpt(r.Address); err != nil {
			return e.smtpError("RCPT TO "+r.Address, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return e.smtpError("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return e.smtpError("DATA", err)
	}
	if err := w.Close(); err != nil {
		return e.smtpError("DATA", err)
	}
	if err := c.Quit(); err != nil {
		return e.smtpError("QUIT", err)
	}
	return nil
}

// smtpError maps SMTP replies: 5xx is final, 4xx and network errors are
// retried.
func (e *Email) smtpError(op string, err error) error {
	de := &DeliveryError{Channel: e.channel, Op: "smtp " + e.addr + " " + op, Err: err}
	var te *textproto.Error
	if errors.As(err, &te) {
		de.Status, de.Body, de.Err = te.Code, oneLine(te.Msg, maxExcerpt), nil
		de.Final = te.Code >= 500
	}
	return de
}

// plainAuth is AUTH PLAIN that refuses to run without TLS unless allowed
// (loopback with tls: none).
type plainAuth struct {
	user, pass string
	insecure   bool
}

func (a plainAuth) Start(s *smtp.ServerInfo) (string, []byte, error) {
	if !s.TLS && !a.insecure {
		return "", nil, errors.New("refusing AUTH PLAIN without TLS")
	}
	if !slices.Contains(s.Auth, "PLAIN") {
		return "", nil, fmt.Errorf("server offers AUTH %s, not PLAIN", strings.Join(s.Auth, " "))
	}
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected AUTH PLAIN challenge")
	}
	return nil, nil
}

// capConn fails reads once the server has sent more than left bytes.
type capConn struct {
	net.Conn
	left int64
}

func (c *capConn) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, fmt.Errorf("server sent more than %d bytes", maxSMTPRead)
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.Conn.Read(p)
	c.left -= int64(n)
	return n, err
}

// compose renders the whole RFC 5322 message with CRLF line ends.
func (e *Email) compose(m Message, now time.Time) ([]byte, error) {
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("message id: %w", err)
	}
	to := make([]string, len(e.to))
	for i, r := range e.to {
		to[i] = r.String()
	}
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", e.from.String())
	header("To", strings.Join(to, ",\r\n "))
	header("Subject", encodeHeader(clip(oneLine(Subject(m), maxSubject), maxSubject)))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", fmt.Sprintf("<%s.%d@%s>", hex.EncodeToString(id), now.Unix(), e.domain))
	if m.Kind != KindDigest && len(m.Alerts) == 1 {
		sum := sha256.Sum256([]byte(m.Alerts[0].Key))
		header("References", fmt.Sprintf("<qmonit.%s@%s>", hex.EncodeToString(sum[:12]), e.domain))
	}
	header("MIME-Version", "1.0")
	header("Content-Type", `text/plain; charset="utf-8"`)
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	header("X-Qmonit-Kind", string(m.Kind))
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(Text(m))); err != nil {
		return nil, fmt.Errorf("encode body: %w", err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("encode body: %w", err)
	}
	return b.Bytes(), nil
}

// encodeHeader Q-encodes s when needed, one encoded word per folded line.
func encodeHeader(s string) string {
	return strings.ReplaceAll(mime.QEncoding.Encode("utf-8", s), "?= =?", "?=\r\n =?")
}
