package notify

// CrashAfterSend makes the next runs stop between sending a row and marking
// it, as a crash there would, while f returns an error.
func (s *Service) CrashAfterSend(f func(id int64) error) { s.afterSend = f }

// Restarted is the service as a new process would run it: the same
// database, another holder of claims.
func (s *Service) Restarted() *Service {
	n, err := New(s.d)
	if err != nil {
		panic(err)
	}
	return n
}

// Words exposes the message words for the tests.
func Words(k Kind, l string) (subject, body, sms string) {
	w := messageWords[k][l]
	return w.Subject, w.Body, w.SMS
}

// Render fills k's words in l.
func Render(k Kind, l string, vals map[string]string) (subject, text, html, sms string) {
	t, _ := loadTexts()
	m := t.render(k, l, vals)
	return m.Subject, m.Text, m.HTML, m.SMS
}

// Placeholders lists what s fills in.
var Placeholders = placeholders
