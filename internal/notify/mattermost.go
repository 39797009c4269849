package notify

import (
	"cmp"
	"context"
	"encoding/json"
	"time"
)

// maxChatText caps the text of one chat post (Mattermost's limit is 16383
// characters).
const maxChatText = 16000

// Mattermost posts to a Mattermost or Slack incoming webhook:
// {"text": markdown, "username": ..., "channel": ...}.
type Mattermost struct {
	p                 *poster
	username, channel string
}

// MattermostOptions configure a Mattermost sender.
type MattermostOptions struct {
	Channel  string // name in errors and metrics; "" means "mattermost"
	URL      string // the incoming webhook URL; its path is a secret
	Username string // overrides the webhook's user name when set (and allowed)
	ChatRoom string // overrides the webhook's channel when set (and allowed)
	CAFile   string
	Timeout  time.Duration
}

// NewMattermost checks the URL and reads the CA file.
func NewMattermost(o MattermostOptions) (*Mattermost, error) {
	p, err := newPoster(cmp.Or(o.Channel, "mattermost"), o.URL, "", o.Timeout, o.CAFile)
	if err != nil {
		return nil, err
	}
	return &Mattermost{p: p, username: o.Username, channel: o.ChatRoom}, nil
}

type chatBody struct {
	Text     string `json:"text"`
	Username string `json:"username,omitempty"`
	Channel  string `json:"channel,omitempty"`
}

// MattermostJSON is the body posted for m.
func MattermostJSON(m Message, username, channel string) ([]byte, error) {
	return json.Marshal(chatBody{Text: clip(Markdown(m), maxChatText), Username: username, Channel: channel})
}

// Send implements Sender.
func (c *Mattermost) Send(ctx context.Context, m Message) error {
	body, err := MattermostJSON(m, c.username, c.channel)
	if err != nil {
		return &DeliveryError{Channel: c.p.channel, Op: "encode", Final: true, Err: err}
	}
	return c.p.post(ctx, "application/json", body)
}
