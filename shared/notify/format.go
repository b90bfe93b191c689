package notify

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxSubjectBytes bounds the subject: "Subjects must be UTF-8 text with no
// line breaks or control characters, and less than 100 characters long"
// (Publish, Amazon SNS API Reference).
const MaxSubjectBytes = 99

// maxDescription bounds the description in a message: a finding's
// description is a few sentences; this keeps a malformed one from making
// the message unreadable (SNS's own limit is 256 KB).
const maxDescription = 4000

// Message is a notification rendered for SNS: the subject, the plain text
// for e-mail (and every protocol without its own form), and the custom
// notification chat channels render.
type Message struct {
	Subject string
	Text    string
	// Chat is the custom notification of Amazon Q Developer in chat
	// applications ("Custom notifications using Amazon Q Developer in chat
	// applications"), JSON.
	Chat string
}

// Format renders n.
func Format(n Notification) Message {
	return Message{Subject: subject(n.Subject()), Text: text(n), Chat: chat(n)}
}

// subject makes s a valid SNS subject: control characters become spaces,
// and it is cut to MaxSubjectBytes at a character boundary.
func subject(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= MaxSubjectBytes {
		return s
	}
	cut := MaxSubjectBytes - len("...")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + " [...]"
}

// text is the plain-text body: the title, the description, then one line
// per fact.
func text(n Notification) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", first(n.Title, n.Type))
	if n.Description != "" {
		fmt.Fprintf(&b, "%s\n\n", clip(n.Description, maxDescription))
	}
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-11s %s\n", k+":", v)
		}
	}
	sev := n.Label
	if n.Severity != "" {
		sev += " (" + n.Severity + ")"
	}
	line("Severity", sev)
	line("Type", n.Type)
	line("Account", n.Account)
	line("Region", n.Region)
	line("Resource", n.Resource)
	line("First seen", n.FirstSeen)
	line("Last seen", n.LastSeen)
	if n.Count > 0 {
		line("Count", fmt.Sprint(n.Count))
	}
	line("ID", n.ID)
	if n.Link != "" {
		fmt.Fprintf(&b, "\nOpen in the console: %s\n", n.Link)
	}
	return b.String()
}

// customNotification is the chat form ("Custom notifications using
// Amazon Q Developer in chat applications").
type customNotification struct {
	Version  string       `json:"version"`
	Source   string       `json:"source"`
	ID       string       `json:"id,omitempty"`
	Content  chatContent  `json:"content"`
	Metadata chatMetadata `json:"metadata"`
}

type chatContent struct {
	TextType    string   `json:"textType"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	NextSteps   []string `json:"nextSteps,omitempty"`
	Keywords    []string `json:"keywords,omitempty"`
}

type chatMetadata struct {
	ThreadID          string            `json:"threadId,omitempty"`
	Summary           string            `json:"summary"`
	EventType         string            `json:"eventType,omitempty"`
	RelatedResources  []string          `json:"relatedResources,omitempty"`
	AdditionalContext map[string]string `json:"additionalContext,omitempty"`
}

func chat(n Notification) string {
	var d strings.Builder
	if n.Title != "" {
		fmt.Fprintf(&d, "*%s*\n", n.Title)
	}
	if n.Description != "" {
		fmt.Fprintf(&d, "%s\n", clip(n.Description, maxDescription))
	}
	fmt.Fprintf(&d, "*Account* %s  *Region* %s", n.Account, n.Region)
	if n.Resource != "" {
		fmt.Fprintf(&d, "  *Resource* %s", n.Resource)
	}
	if n.LastSeen != "" {
		fmt.Fprintf(&d, "\n*First seen* %s  *Last seen* %s", n.FirstSeen, n.LastSeen)
	}
	if n.Count > 0 {
		fmt.Fprintf(&d, "  *Count* %d", n.Count)
	}
	c := customNotification{
		Version: "1.0", Source: "custom", ID: n.ID,
		Content: chatContent{
			TextType: "client-markdown", Title: subject(n.Subject()), Description: d.String(),
			Keywords: []string{n.Label, n.Kind, n.Region},
		},
		Metadata: chatMetadata{
			ThreadID: n.ID, Summary: subject(n.Subject()), EventType: n.Type,
			AdditionalContext: map[string]string{"account": n.Account, "region": n.Region, "severity": n.Label},
		},
	}
	if n.Link != "" {
		c.Content.NextSteps = []string{"Open in the console: " + n.Link}
	}
	if n.Resource != "" {
		c.Metadata.RelatedResources = []string{n.Resource}
	}
	b, err := json.Marshal(c)
	if err != nil {
		// Only strings: cannot fail.
		panic(err)
	}
	return string(b)
}

// PublishBody is the SNS message of m with MessageStructure "json": the
// plain text by default and for e-mail, the custom notification for HTTPS
// subscriptions, which is how chat channels subscribe ("Publish", Amazon
// SNS API Reference: "If you want to send different messages for each
// transport protocol, set the value of the MessageStructure parameter to
// json and use a JSON object for the Message parameter").
func (m Message) PublishBody() string {
	b, err := json.Marshal(map[string]string{"default": m.Text, "email": m.Text, "https": m.Chat})
	if err != nil {
		panic(err)
	}
	return string(b)
}
