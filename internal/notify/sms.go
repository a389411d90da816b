package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// GatewayConfig is an SMS gateway as --sms-gateway-file gives it (JSON).
// Every Chinese SMS provider offers an HTTP interface of this shape:
//
//	{"url": "https://sms.example.cn/send?sign=abc",
//	 "method": "POST",
//	 "headers": {"Content-Type": "application/json", "Authorization": "Bearer …"},
//	 "body": "{\"mobile\": \"{phone}\", \"content\": \"{text}\", \"out_id\": \"{ref}\"}",
//	 "success": {"status": [200], "body_contains": "\"code\":0"}}
//
// {phone}, {text} and {ref} (the notification's reference, the same on
// every try, for the provider's duplicate check) are filled into the URL
// (query-escaped) and the body (escaped for JSON when the body is JSON, for
// a form when the Content-Type is a form, as is otherwise). Success: a
// status in the list (default any 2xx) and, when given, the answer contains
// body_contains.
type GatewayConfig struct {
	URL     string            `json:"url"`
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	Success struct {
		Status       []int  `json:"status"`
		BodyContains string `json:"body_contains"`
	} `json:"success"`
	// TimeoutSeconds bounds one request (default 15).
	TimeoutSeconds int `json:"timeout_seconds"`
}

// Gateway sends SMS through an HTTP gateway.
type Gateway struct {
	c      GatewayConfig
	client *http.Client
}

// LoadGateway reads the gateway's JSON file.
func LoadGateway(file string) (*Gateway, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("notify: SMS gateway file: %w", err)
	}
	g, err := ParseGateway(data)
	if err != nil {
		return nil, fmt.Errorf("notify: SMS gateway file %s: %w", file, err)
	}
	return g, nil
}

// ParseGateway checks a gateway's configuration.
func ParseGateway(data []byte) (*Gateway, error) {
	var c GatewayConfig
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("not a gateway (JSON with url, method, headers, body, success): %w", err)
	}
	u, err := url.Parse(strings.NewReplacer("{phone}", "x", "{text}", "x", "{ref}", "x").Replace(c.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New(`"url" must be an http:// or https:// address`)
	}
	if c.Method == "" {
		c.Method = http.MethodPost
	}
	c.Method = strings.ToUpper(c.Method)
	switch c.Method {
	case http.MethodGet, http.MethodPost, http.MethodPut:
	default:
		return nil, fmt.Errorf(`"method" must be GET, POST or PUT, not %q`, c.Method)
	}
	if !strings.Contains(c.URL+c.Body, "{phone}") || !strings.Contains(c.URL+c.Body, "{text}") {
		return nil, errors.New(`the url or the body must hold {phone} and {text}`)
	}
	for _, st := range c.Success.Status {
		if st < 100 || st > 599 {
			return nil, fmt.Errorf(`"success.status" %d is not an HTTP status`, st)
		}
	}
	if c.TimeoutSeconds <= 0 {
		c.TimeoutSeconds = 15
	}
	return &Gateway{c: c, client: &http.Client{Timeout: time.Duration(c.TimeoutSeconds) * time.Second}}, nil
}

// jsonEscape escapes s for the inside of a JSON string.
func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// Send sends text to phone. Errors never hold the phone number.
func (g *Gateway) Send(ctx context.Context, phone, text, ref string) error {
	urlR := strings.NewReplacer("{phone}", url.QueryEscape(phone), "{text}", url.QueryEscape(text), "{ref}", url.QueryEscape(ref))
	body := g.c.Body
	ct := ""
	for k, v := range g.c.Headers {
		if strings.EqualFold(k, "Content-Type") {
			ct = strings.ToLower(v)
		}
	}
	switch {
	case strings.Contains(ct, "json") || ct == "" && strings.HasPrefix(strings.TrimSpace(body), "{"):
		body = strings.NewReplacer("{phone}", jsonEscape(phone), "{text}", jsonEscape(text), "{ref}", jsonEscape(ref)).Replace(body)
	case strings.Contains(ct, "x-www-form-urlencoded"):
		body = urlR.Replace(body)
	default:
		body = strings.NewReplacer("{phone}", phone, "{text}", text, "{ref}", ref).Replace(body)
	}
	var rd io.Reader
	if g.c.Method != http.MethodGet {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, g.c.Method, urlR.Replace(g.c.URL), rd)
	if err != nil {
		return fmt.Errorf("sms: request: %w", scrubPhone(err, phone))
	}
	for k, v := range g.c.Headers {
		req.Header.Set(k, v)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return fmt.Errorf("sms: gateway: %w", scrubPhone(err, phone))
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if len(g.c.Success.Status) > 0 {
		ok = false
		for _, st := range g.c.Success.Status {
			ok = ok || resp.StatusCode == st
		}
	}
	if ok && g.c.Success.BodyContains != "" && !bytes.Contains(answer, []byte(g.c.Success.BodyContains)) {
		ok = false
	}
	if !ok {
		a := strings.ReplaceAll(string(answer), phone, "[phone]")
		if len(a) > 200 {
			a = a[:200] + "…"
		}
		return fmt.Errorf("sms: the gateway answered %d: %s", resp.StatusCode, strings.TrimSpace(a))
	}
	return nil
}

// scrubPhone keeps the phone number out of an error (a URL in it may hold it).
func scrubPhone(err error, phone string) error {
	msg := err.Error()
	for _, p := range []string{phone, url.QueryEscape(phone)} {
		if p != "" {
			msg = strings.ReplaceAll(msg, p, "[phone]")
		}
	}
	return errors.New(msg)
}
