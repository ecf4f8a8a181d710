package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// browserClient is an HTTP client with a cookie jar, like a browser.
func browserClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

func do(t *testing.T, c *http.Client, method, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

// TestFirstRunSetupAndSignIn walks the first run as a practice owner would:
// the printed one-time link, the setup form (with a mistake first), the
// account page, signing out, and signing in again.
func TestFirstRunSetupAndSignIn(t *testing.T) {
	dir := t.TempDir()
	inst := startServer(t, map[string]string{"ASTRAL_DATA_DIR": dir})
	b, err := os.ReadFile(filepath.Join(dir, "setup-url"))
	if err != nil {
		t.Fatalf("setup-url not written: %v", err)
	}
	link := strings.TrimSpace(string(b))
	if !strings.Contains(inst.Stdout.String(), link) {
		t.Errorf("the setup link was not printed")
	}
	if strings.Contains(inst.Stderr.String(), link[strings.LastIndex(link, "/")+1:]) {
		t.Errorf("the setup token reached the log")
	}
	// The link points at the configured public URL; use the test's address.
	token := link[strings.LastIndex(link, "/")+1:]
	c := browserClient(t)

	// A wrong token is refused; the real one leads to a token-free address.
	if res, _ := do(t, c, "GET", inst.URL+"/setup/not-the-token", nil); res.StatusCode != 404 {
		t.Errorf("wrong setup token: %d", res.StatusCode)
	}
	res, body := do(t, c, "GET", inst.URL+"/setup/"+token, nil)
	if res.StatusCode != 200 || res.Request.URL.Path != "/setup" || !strings.Contains(body, `name="practice_name"`) {
		t.Fatalf("setup link: %d at %s", res.StatusCode, res.Request.URL)
	}

	form := url.Values{
		"practice_name": {"Lindenhof Praxis"}, "practice_slug": {"lindenhof"},
		"admin_name": {"Ada Admin"}, "admin_email": {"ada@lindenhof.example"},
		"password": {"short"}, "password_confirm": {"short"},
	}
	res, body = do(t, c, "POST", inst.URL+"/setup", form)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "at least 12 characters") || !strings.Contains(body, `value="Lindenhof Praxis"`) {
		t.Fatalf("short password: %d; want the form again with the reason and the input kept", res.StatusCode)
	}
	if strings.Contains(body, `value="short"`) {
		t.Error("the password was echoed back into the page")
	}
	form.Set("password", "correct horse battery staple")
	form.Set("password_confirm", "correct horse battery staple")
	res, body = do(t, c, "POST", inst.URL+"/setup", form)
	if res.StatusCode != 200 || res.Request.URL.Path != "/account" || !strings.Contains(body, "Administrator") {
		t.Fatalf("after setup: %d at %s", res.StatusCode, res.Request.URL)
	}
	// The link is used up.
	if res, _ := do(t, browserClient(t), "GET", inst.URL+"/setup/"+token, nil); res.StatusCode != 404 {
		t.Errorf("setup link reused: %d", res.StatusCode)
	}

	// Sign out: the session ends on the server and the browser is told to
	// forget; the old cookie no longer works.
	u, _ := url.Parse(inst.URL)
	old := c.Jar.Cookies(u)
	res, _ = do(t, c, "POST", inst.URL+"/logout", url.Values{})
	if res.Request.URL.Path != "/" {
		t.Errorf("logout went to %s", res.Request.URL)
	}
	replay := browserClient(t)
	replay.Jar.SetCookies(u, old)
	res, _ = do(t, replay, "GET", inst.URL+"/account", nil)
	if res.Request.URL.Path != "/login" {
		t.Errorf("the cookie from before logout still opens /account (ended at %s)", res.Request.URL)
	}

	// Sign in again; a wrong password first.
	res, body = do(t, c, "POST", inst.URL+"/login", url.Values{"email": {"ada@lindenhof.example"}, "password": {"wrong password here"}})
	if res.StatusCode != 401 || !strings.Contains(body, "not right") {
		t.Errorf("wrong password: %d", res.StatusCode)
	}
	res, body = do(t, c, "POST", inst.URL+"/login", url.Values{"email": {"Ada@Lindenhof.example"}, "password": {"correct horse battery staple"}, "next": {"/account"}})
	if res.StatusCode != 200 || res.Request.URL.Path != "/account" || !strings.Contains(body, "Administrator") {
		t.Fatalf("sign in: %d at %s", res.StatusCode, res.Request.URL)
	}
	// The login gave a new token (no fixation): different from the old one.
	for _, ck := range c.Jar.Cookies(u) {
		for _, o := range old {
			if ck.Name == o.Name && ck.Value == o.Value {
				t.Error("the session token did not change at login")
			}
		}
	}
	if err := inst.stop(); err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"ada@lindenhof.example", "Ada Admin", "correct horse"} {
		if strings.Contains(inst.Stderr.String(), leak) {
			t.Errorf("log contains %q", leak)
		}
	}
}

// TestSecondFactor enrols an authenticator app as the first admin would,
// then signs in with password and code, and checks that a backup code works
// once.
func TestSecondFactor(t *testing.T) {
	dir := t.TempDir()
	inst := startServer(t, map[string]string{"ASTRAL_DATA_DIR": dir})
	b, err := os.ReadFile(filepath.Join(dir, "setup-url"))
	if err != nil {
		t.Fatal(err)
	}
	link := strings.TrimSpace(string(b))
	token := link[strings.LastIndex(link, "/")+1:]
	c := browserClient(t)
	do(t, c, "GET", inst.URL+"/setup/"+token, nil)
	const pw = "correct horse battery staple"
	res, _ := do(t, c, "POST", inst.URL+"/setup", url.Values{
		"practice_name": {"Lindenhof Praxis"}, "practice_slug": {"lindenhof"},
		"admin_name": {"Ada Admin"}, "admin_email": {"ada@lindenhof.example"},
		"password": {pw}, "password_confirm": {pw},
	})
	if res.Request.URL.Path != "/account" {
		t.Fatalf("setup ended at %s", res.Request.URL)
	}

	// Enrol: the page shows a QR code and the key; a wrong code is refused.
	res, body := do(t, c, "POST", inst.URL+"/account/mfa/totp", url.Values{})
	if res.StatusCode != 200 || !strings.Contains(body, "<svg") {
		t.Fatalf("begin TOTP: %d", res.StatusCode)
	}
	secret := between(body, `<code class="secret">`, `</code>`)
	secret = strings.ReplaceAll(secret, " ", "")
	if len(secret) < 32 {
		t.Fatalf("no secret on the page")
	}
	res, _ = do(t, c, "POST", inst.URL+"/account/mfa/totp/confirm", url.Values{"code": {"000000"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("wrong code at enrolment: %d", res.StatusCode)
	}
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	res, body = do(t, c, "POST", inst.URL+"/account/mfa/totp/confirm", url.Values{"code": {code}})
	if res.StatusCode != 200 || strings.Count(body, "<li><code>") != 10 {
		t.Fatalf("confirm TOTP: %d, %d backup codes shown", res.StatusCode, strings.Count(body, "<li><code>"))
	}
	backup := between(body, "<li><code>", "</code>")
	// The owner is told by email that a second factor was set up.
	notices, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	found := false
	for _, n := range notices {
		b, _ := os.ReadFile(n)
		found = found || strings.Contains(string(b), "second factor")
	}
	if !found {
		t.Errorf("no email about the new second factor among %d messages", len(notices))
	}

	// A new sign-in: password first, then the second factor. The same code
	// cannot be used twice (it was used at enrolment).
	c2 := browserClient(t)
	res, _ = do(t, c2, "POST", inst.URL+"/login", url.Values{"email": {"ada@lindenhof.example"}, "password": {pw}})
	if res.StatusCode != 200 {
		t.Fatalf("password step: %d", res.StatusCode)
	}
	res, body = do(t, c2, "GET", inst.URL+"/login/mfa", nil)
	if res.StatusCode != 200 || !strings.Contains(body, `name="code"`) {
		t.Fatalf("second step page: %d at %s", res.StatusCode, res.Request.URL)
	}
	res, _ = do(t, c2, "POST", inst.URL+"/login/mfa", url.Values{"code": {code}})
	if res.StatusCode != 401 {
		t.Errorf("replayed TOTP code accepted: %d", res.StatusCode)
	}
	res, body = do(t, c2, "POST", inst.URL+"/login/mfa", url.Values{"code": {backup}, "next": {"/account"}})
	if res.StatusCode != 200 || res.Request.URL.Path != "/account" || !strings.Contains(body, "Verified in this session") {
		t.Fatalf("backup code: %d at %s", res.StatusCode, res.Request.URL)
	}
	// With the second factor the admin can examine the audit log, which
	// shows the sign-ins just made; the search itself is recorded too.
	res, body = do(t, c2, "GET", inst.URL+"/admin/audit", nil)
	for _, want := range []string{"signed in", "confirmed a second factor", "searched the audit log", "practice.setup"} {
		if !strings.Contains(body, want) {
			t.Errorf("audit search lacks %q", want)
		}
	}
	if res.StatusCode != 200 || strings.Contains(body, "ada@lindenhof.example") || strings.Contains(body, "Ada Admin") {
		t.Errorf("audit search: %d, or it shows personal data", res.StatusCode)
	}
	res, body = do(t, c2, "GET", inst.URL+"/admin/audit?action=auth.mfa", nil)
	if res.StatusCode != 200 || strings.Contains(body, "<td>signed in") || !strings.Contains(body, "confirmed a second factor") {
		t.Errorf("audit search by action: %d", res.StatusCode)
	}
	if res, _ := do(t, c2, "GET", inst.URL+"/admin/audit?from=yesterday", nil); res.StatusCode != 400 {
		t.Errorf("a bad date: %d, want 400 with the form", res.StatusCode)
	}
	// Without the second factor the audit log stays closed.
	c4 := browserClient(t)
	do(t, c4, "POST", inst.URL+"/login", url.Values{"email": {"ada@lindenhof.example"}, "password": {pw}})
	if res, _ := do(t, c4, "GET", inst.URL+"/admin/audit", nil); res.StatusCode != 403 {
		t.Errorf("audit log without MFA: %d, want 403", res.StatusCode)
	}

	// A personal API token with the audit:read scope searches the log over
	// the API; without a token, or with one lacking the scope, it is closed.
	res, body = do(t, c2, "POST", inst.URL+"/account/tokens", url.Values{"name": {"siem export"}, "scope": {"audit:read"}, "days": {"30"}})
	secretTok := between(body, `<code class="secret">`, `</code>`)
	if res.StatusCode != http.StatusCreated || !strings.HasPrefix(secretTok, "astral_pat_") {
		t.Fatalf("create token: %d", res.StatusCode)
	}
	api := func(token string) (int, string) {
		req, _ := http.NewRequest("GET", inst.URL+"/api/v1/audit/entries?action=auth.login&limit=5", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := api(secretTok); code != 200 || !strings.Contains(body, `"action":"auth.login"`) || strings.Contains(body, "ada@") {
		t.Errorf("API with token: %d %.300s", code, body)
	}
	if code, _ := api(""); code != 401 {
		t.Errorf("API without token: %d, want 401", code)
	}
	if code, _ := api("astral_pat_forged"); code != 401 {
		t.Errorf("API with a forged token: %d, want 401", code)
	}
	res, body = do(t, c2, "POST", inst.URL+"/account/tokens", url.Values{"name": {"profiles only"}, "scope": {"profile:read"}, "days": {"30"}})
	narrow := between(body, `<code class="secret">`, `</code>`)
	if res.StatusCode != http.StatusCreated || narrow == "" {
		t.Fatalf("create a narrow token: %d", res.StatusCode)
	}
	if code, _ := api(narrow); code != 403 {
		t.Errorf("API with a token lacking the scope: %d, want 403", code)
	}
	// A revoked token stops at once.
	_, body = do(t, c2, "GET", inst.URL+"/account/tokens", nil)
	id := between(body[strings.Index(body, "siem export"):], `action="/account/tokens/`, `/revoke"`)
	if res, _ := do(t, c2, "POST", inst.URL+"/account/tokens/"+id+"/revoke", url.Values{}); res.StatusCode != 200 {
		t.Errorf("revoke: %d", res.StatusCode)
	}
	if code, _ := api(secretTok); code != 401 {
		t.Errorf("API with a revoked token: %d, want 401", code)
	}

	// The backup code is used up.
	c3 := browserClient(t)
	do(t, c3, "POST", inst.URL+"/login", url.Values{"email": {"ada@lindenhof.example"}, "password": {pw}})
	if res, _ := do(t, c3, "POST", inst.URL+"/login/mfa", url.Values{"code": {backup}}); res.StatusCode != 401 {
		t.Errorf("backup code reused: %d", res.StatusCode)
	}
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	if j := strings.Index(s, end); j >= 0 {
		return s[:j]
	}
	return ""
}

// setupPractice runs the first-run setup of a started server whose data
// directory is dir, and returns a client signed in as the first admin.
func setupPractice(t *testing.T, inst *instance, dir string) *http.Client {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "setup-url"))
	if err != nil {
		t.Fatal(err)
	}
	link := strings.TrimSpace(string(b))
	c := browserClient(t)
	do(t, c, "GET", inst.URL+"/setup/"+link[strings.LastIndex(link, "/")+1:], nil)
	res, _ := do(t, c, "POST", inst.URL+"/setup", url.Values{
		"practice_name": {"Lindenhof Praxis"}, "practice_slug": {"lindenhof"},
		"admin_name": {"Ada Admin"}, "admin_email": {"ada@lindenhof.example"},
		"password": {"correct horse battery staple"}, "password_confirm": {"correct horse battery staple"},
	})
	if res.Request.URL.Path != "/account" {
		t.Fatalf("setup ended at %s (%d)", res.Request.URL, res.StatusCode)
	}
	return c
}

// TestProfilePage reads and edits one's own details: decrypted for the
// owner, every problem shown with the input kept, and no lost update.
func TestProfilePage(t *testing.T) {
	dir := t.TempDir()
	inst := startServer(t, map[string]string{"ASTRAL_DATA_DIR": dir})
	c := setupPractice(t, inst, dir)
	res, body := do(t, c, "GET", inst.URL+"/account/profile", nil)
	if res.StatusCode != 200 || !strings.Contains(body, `value="ada@lindenhof.example"`) || !strings.Contains(body, `value="Ada Admin"`) {
		t.Fatalf("profile page: %d", res.StatusCode)
	}
	version := between(body, `name="version" value="`, `"`)
	form := url.Values{"version": {version}, "legal_name": {"Ada Admin"}, "preferred_name": {"Ada"},
		"email": {"not-an-email"}, "phone": {"12"}, "birth_date": {"1985-13-40"}}
	res, body = do(t, c, "POST", inst.URL+"/account/profile", form)
	if res.StatusCode != http.StatusUnprocessableEntity || strings.Count(body, `class="field-error"`) != 3 || !strings.Contains(body, `value="not-an-email"`) {
		t.Errorf("bad details: %d with %d field errors", res.StatusCode, strings.Count(body, `class="field-error"`))
	}
	form.Set("email", "ada@lindenhof.example")
	form.Set("phone", "+49 30 1234567")
	form.Set("birth_date", "1985-03-14")
	res, body = do(t, c, "POST", inst.URL+"/account/profile", form)
	if res.StatusCode != 200 || !strings.Contains(body, "were saved") || !strings.Contains(body, `value="1985-03-14"`) {
		t.Fatalf("save details: %d", res.StatusCode)
	}
	// The same old version again: somebody else's change is not overwritten.
	res, _ = do(t, c, "POST", inst.URL+"/account/profile", form)
	if res.StatusCode != http.StatusConflict {
		t.Errorf("stale version: %d, want 409", res.StatusCode)
	}
	if err := inst.stop(); err != nil {
		t.Fatal(err)
	}
	if logs := inst.Stderr.String(); strings.Contains(logs, "1985-03-14") || strings.Contains(logs, "1234567") {
		t.Error("personal details reached the log")
	}
}

// enrolTOTP sets up an authenticator app for the signed-in client, which
// leaves its session MFA-verified.
func enrolTOTP(t *testing.T, c *http.Client, inst *instance) {
	t.Helper()
	_, body := do(t, c, "POST", inst.URL+"/account/mfa/totp", url.Values{})
	secret := strings.ReplaceAll(between(body, `<code class="secret">`, `</code>`), " ", "")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := do(t, c, "POST", inst.URL+"/account/mfa/totp/confirm", url.Values{"code": {code}}); res.StatusCode != 200 {
		t.Fatalf("enrol TOTP: %d", res.StatusCode)
	}
}

// TestInviteAndJoin: the admin invites a therapist by email; the email (in
// the development outbox) carries a single-use link; the therapist chooses a
// name and password and is signed in; the admin sees them in the list.
func TestInviteAndJoin(t *testing.T) {
	dir := t.TempDir()
	inst := startServer(t, map[string]string{"ASTRAL_DATA_DIR": dir})
	admin := setupPractice(t, inst, dir)
	enrolTOTP(t, admin, inst)

	res, body := do(t, admin, "POST", inst.URL+"/admin/people/invite", url.Values{"email": {"theo@"}, "role": {"therapist"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `value="theo@"`) {
		t.Errorf("bad invitation: %d", res.StatusCode)
	}
	res, body = do(t, admin, "POST", inst.URL+"/admin/people/invite", url.Values{"email": {"theo@lindenhof.example"}, "role": {"therapist"}})
	if res.StatusCode != 200 || !strings.Contains(body, "invitation was sent") {
		t.Fatalf("invite: %d at %s", res.StatusCode, res.Request.URL)
	}
	files, err := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	var link string
	for _, f := range files {
		mail, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if l := regexp.MustCompile(`/invite/[A-Za-z0-9_=-]+`).FindString(strings.ReplaceAll(string(mail), "=\r\n", "")); l != "" {
			link = l
		}
	}
	if link == "" {
		t.Fatalf("no invitation link among %d emails", len(files))
	}
	theo := browserClient(t)
	res, body = do(t, theo, "GET", inst.URL+link, nil)
	if res.StatusCode != 200 || res.Request.URL.Path != "/invite" || !strings.Contains(body, "Therapist") {
		t.Fatalf("invitation link: %d at %s", res.StatusCode, res.Request.URL)
	}
	res, body = do(t, theo, "POST", inst.URL+"/invite", url.Values{"name": {"Theo Therapist"}, "password": {"short"}, "password_confirm": {"short"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "at least 12") {
		t.Errorf("short password for a therapist: %d", res.StatusCode)
	}
	const pw = "willow lantern quietly folds"
	res, _ = do(t, theo, "POST", inst.URL+"/invite", url.Values{"name": {"Theo Therapist"}, "password": {pw}, "password_confirm": {pw}})
	if res.StatusCode != 200 || res.Request.URL.Path != "/account" {
		t.Fatalf("accept: %d at %s", res.StatusCode, res.Request.URL)
	}
	if res, _ := do(t, browserClient(t), "GET", inst.URL+link, nil); res.StatusCode != 404 {
		t.Errorf("invitation link reused: %d", res.StatusCode)
	}
	_, body = do(t, admin, "GET", inst.URL+"/admin/people", nil)
	if !strings.Contains(body, "Theo Therapist") || !strings.Contains(body, "Ada Admin") {
		t.Errorf("people list lacks the new therapist")
	}

	// Theo signs in a second time elsewhere, sees both sessions and signs
	// the other one out.
	other := browserClient(t)
	do(t, other, "POST", inst.URL+"/login", url.Values{"email": {"theo@lindenhof.example"}, "password": {pw}})
	_, body = do(t, theo, "GET", inst.URL+"/account/sessions", nil)
	if strings.Count(body, "<tr>") != 3 {
		t.Errorf("sessions page shows %d sessions, want 2", strings.Count(body, "<tr>")-1)
	}
	sid := between(body, `action="/account/sessions/`, `/revoke"`)
	if res, _ := do(t, theo, "POST", inst.URL+"/account/sessions/"+sid+"/revoke", url.Values{}); res.StatusCode != 200 {
		t.Errorf("sign out the other session: %d", res.StatusCode)
	}
	if res, _ := do(t, other, "GET", inst.URL+"/account", nil); res.Request.URL.Path != "/login" {
		t.Errorf("the signed-out session still works")
	}

	// The admin deactivates Theo: the session ends at once and signing in
	// fails; reactivating lets Theo back in.
	_, body = do(t, admin, "GET", inst.URL+"/admin/people", nil)
	theoRow := body[strings.Index(body, "Theo Therapist"):]
	personID := between(theoRow, `action="/admin/people/`, `"`)
	version := between(theoRow, `name="version" value="`, `"`)
	if res, _ := do(t, admin, "POST", inst.URL+"/admin/people/"+personID, url.Values{"version": {version}, "status": {"deactivated"}}); res.StatusCode != 200 {
		t.Fatalf("deactivate: %d", res.StatusCode)
	}
	if res, _ := do(t, theo, "GET", inst.URL+"/account", nil); res.Request.URL.Path != "/login" {
		t.Errorf("a deactivated person's session still works")
	}
	if res, _ := do(t, browserClient(t), "POST", inst.URL+"/login", url.Values{"email": {"theo@lindenhof.example"}, "password": {pw}}); res.StatusCode != 401 {
		t.Errorf("a deactivated person signed in: %d", res.StatusCode)
	}
	// A stale version is refused: nothing changes behind the admin's back.
	if res, _ := do(t, admin, "POST", inst.URL+"/admin/people/"+personID, url.Values{"version": {version}, "status": {"active"}}); res.StatusCode != http.StatusConflict {
		t.Errorf("stale change: %d, want 409", res.StatusCode)
	}

	if err := inst.stop(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(inst.Stderr.String(), "theo@lindenhof.example") || strings.Contains(inst.Stderr.String(), "Theo Therapist") {
		t.Error("personal data in the log")
	}
}

// TestPasswordChangeAndReset changes the password (other sessions end, an
// email says so), then resets it through the emailed link as someone who
// forgot it.
func TestPasswordChangeAndReset(t *testing.T) {
	dir := t.TempDir()
	inst := startServer(t, map[string]string{"ASTRAL_DATA_DIR": dir})
	c := setupPractice(t, inst, dir)
	const email, first = "ada@lindenhof.example", "correct horse battery staple"
	other := browserClient(t)
	do(t, other, "POST", inst.URL+"/login", url.Values{"email": {email}, "password": {first}})

	res, _ := do(t, c, "POST", inst.URL+"/account/password", url.Values{"current_password": {"nope"}, "password": {"a brand new passphrase"}, "password_confirm": {"a brand new passphrase"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("wrong current password: %d", res.StatusCode)
	}
	const second = "a brand new passphrase"
	res, body := do(t, c, "POST", inst.URL+"/account/password", url.Values{"current_password": {first}, "password": {second}, "password_confirm": {second}})
	if res.StatusCode != 200 || !strings.Contains(body, "was changed") {
		t.Fatalf("change password: %d", res.StatusCode)
	}
	if res, _ := do(t, other, "GET", inst.URL+"/account", nil); res.Request.URL.Path != "/login" {
		t.Errorf("another session survived the password change")
	}
	if res, _ := do(t, c, "GET", inst.URL+"/account", nil); res.Request.URL.Path != "/account" {
		t.Errorf("the session that changed the password was signed out")
	}

	// Forgot: the same answer for any address; a link only for a real one.
	anon := browserClient(t)
	_, body = do(t, anon, "POST", inst.URL+"/forgot", url.Values{"email": {"nobody@lindenhof.example"}})
	_, body2 := do(t, anon, "POST", inst.URL+"/forgot", url.Values{"email": {email}})
	if !strings.Contains(body, "a link is on its way") || !strings.Contains(body2, "a link is on its way") {
		t.Errorf("forgot-password answers differ or are missing")
	}
	var link string
	files, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if l := regexp.MustCompile(`/reset/[A-Za-z0-9_=-]+`).FindString(strings.ReplaceAll(string(b), "=\r\n", "")); l != "" {
			link = l
		}
	}
	if link == "" {
		t.Fatalf("no reset link among %d emails", len(files))
	}
	do(t, anon, "GET", inst.URL+link, nil)
	const third = "a third good passphrase"
	res, _ = do(t, anon, "POST", inst.URL+"/reset", url.Values{"password": {third}, "password_confirm": {third}})
	if res.StatusCode != 200 || res.Request.URL.Path != "/account" {
		t.Fatalf("reset: %d at %s", res.StatusCode, res.Request.URL)
	}
	// Every other session ended, and the link works once.
	if res, _ := do(t, c, "GET", inst.URL+"/account", nil); res.Request.URL.Path != "/login" {
		t.Errorf("a session survived the reset")
	}
	again := browserClient(t)
	do(t, again, "GET", inst.URL+link, nil)
	if res, _ := do(t, again, "POST", inst.URL+"/reset", url.Values{"password": {"one more passphrase"}, "password_confirm": {"one more passphrase"}}); res.StatusCode != 404 {
		t.Errorf("reset link reused: %d", res.StatusCode)
	}
	if res, _ := do(t, browserClient(t), "POST", inst.URL+"/login", url.Values{"email": {email}, "password": {third}}); res.StatusCode != 200 {
		t.Errorf("sign in with the reset password: %d", res.StatusCode)
	}
}

// inviteAndJoin has the admin invite someone and has them accept; it returns
// their signed-in client.
func inviteAndJoin(t *testing.T, inst *instance, dir string, admin *http.Client, email, role, name, pw string) *http.Client {
	t.Helper()
	before, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	if res, _ := do(t, admin, "POST", inst.URL+"/admin/people/invite", url.Values{"email": {email}, "role": {role}}); res.StatusCode != 200 {
		t.Fatalf("invite %s: %d", role, res.StatusCode)
	}
	after, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
	var link string
	for _, f := range after {
		if slices.Contains(before, f) {
			continue
		}
		b, _ := os.ReadFile(f)
		if l := regexp.MustCompile(`/invite/[A-Za-z0-9_=-]+`).FindString(strings.ReplaceAll(string(b), "=\r\n", "")); l != "" {
			link = l
		}
	}
	if link == "" {
		t.Fatal("no invitation link")
	}
	c := browserClient(t)
	do(t, c, "GET", inst.URL+link, nil)
	if res, _ := do(t, c, "POST", inst.URL+"/invite", url.Values{"name": {name}, "password": {pw}, "password_confirm": {pw}}); res.Request.URL.Path != "/account" {
		t.Fatalf("accept as %s: %d at %s", role, res.StatusCode, res.Request.URL)
	}
	return c
}

// TestPatientSeesWhoAccessedTheirRecord: when the admin's people page shows
// a patient's name (a profile read), the patient's access log lists it, with
// the reader's role and no one else's data.
func TestPatientSeesWhoAccessedTheirRecord(t *testing.T) {
	dir := t.TempDir()
	inst := startServer(t, map[string]string{"ASTRAL_DATA_DIR": dir})
	admin := setupPractice(t, inst, dir)
	enrolTOTP(t, admin, inst)
	patient := inviteAndJoin(t, inst, dir, admin, "pat@lindenhof.example", "patient", "Pat Patient", "pebble meadow song")

	if res, body := do(t, admin, "GET", inst.URL+"/admin/people", nil); res.StatusCode != 200 || !strings.Contains(body, "Pat Patient") {
		t.Fatalf("people page: %d", res.StatusCode)
	}
	res, body := do(t, patient, "GET", inst.URL+"/account/access-log", nil)
	if res.StatusCode != 200 {
		t.Fatalf("access log: %d", res.StatusCode)
	}
	if !strings.Contains(body, "<td>Administrator</td><td>viewed the profile</td>") {
		t.Errorf("the admin's read is not in the patient's access log:\n%s", between(body, "<tbody>", "</tbody>"))
	}
	if strings.Contains(body, "Ada Admin") || strings.Contains(body, "ada@lindenhof.example") {
		t.Error("the access log shows the reader's personal data")
	}
	// Only patients have an access log.
	if res, _ := do(t, admin, "GET", inst.URL+"/account/access-log", nil); res.StatusCode != 403 {
		t.Errorf("admin's own access log: %d, want 403", res.StatusCode)
	}
}

// TestRememberMe: a patient who asks to stay signed in gets a cookie that
// outlives the browser session (up to 30 days); an admin asking the same
// gets an ordinary session cookie.
func TestRememberMe(t *testing.T) {
	dir := t.TempDir()
	inst := startServer(t, map[string]string{"ASTRAL_DATA_DIR": dir})
	admin := setupPractice(t, inst, dir)
	enrolTOTP(t, admin, inst)
	inviteAndJoin(t, inst, dir, admin, "pat@lindenhof.example", "patient", "Pat Patient", "pebble meadow song")
	login := func(email, pw string) *http.Cookie {
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		req, _ := http.NewRequest("POST", inst.URL+"/login", strings.NewReader(url.Values{"email": {email}, "password": {pw}, "remember": {"1"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		for _, c := range res.Cookies() {
			if c.Name == "astral_session" {
				return c
			}
		}
		t.Fatalf("no session cookie (status %d)", res.StatusCode)
		return nil
	}
	pc := login("pat@lindenhof.example", "pebble meadow song")
	if d := time.Until(pc.Expires); d < 29*24*time.Hour || d > 31*24*time.Hour {
		t.Errorf("patient's remembered cookie expires in %v, want about 30 days", d)
	}
	if !pc.HttpOnly || pc.SameSite != http.SameSiteLaxMode || pc.Path != "/" {
		t.Errorf("cookie attributes: %+v", pc)
	}
	ac := login("ada@lindenhof.example", "correct horse battery staple")
	if !ac.Expires.IsZero() {
		t.Errorf("an admin got a remembered cookie until %v", ac.Expires)
	}
}
