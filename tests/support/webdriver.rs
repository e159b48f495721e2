//! A small W3C WebDriver client over blocking reqwest, enough to drive headless
//! Chromium through chromedriver: sessions, navigation, elements, keys, scripts,
//! screenshots and the browser's console log. Each test starts its own chromedriver on a
//! free port and kills it when done; each device in a scenario (a phone, a desk
//! computer) is a session of its own, with its own cookies, window size and language.
//! A browser dropped while its test panics saves a screenshot first and prints where.

use std::io::{Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

/// The W3C key of an element reference in WebDriver answers.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// The Enter key, as WebDriver types it.
pub const ENTER: &str = "\u{E007}";
/// How long a page or an awaited condition may take before the test fails.
const WAIT: Duration = Duration::from_secs(15);

/// The Chromium binary: `LIMS_TEST_CHROME`, else `chromium` on the PATH.
fn chrome_bin() -> String {
    std::env::var("LIMS_TEST_CHROME").unwrap_or_else(|_| "chromium".to_string())
}

/// The chromedriver binary: `LIMS_TEST_CHROMEDRIVER`, else `chromedriver` on the PATH.
fn driver_bin() -> String {
    std::env::var("LIMS_TEST_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_string())
}

fn runs(bin: &str) -> Result<(), String> {
    let out = Command::new(bin)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{bin}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{bin} --version failed"));
    }
    Ok(())
}

/// Whether Chromium and chromedriver are installed, with the reason if not.
pub fn available() -> Result<(), String> {
    runs(&chrome_bin())?;
    runs(&driver_bin())
}

/// Where failure screenshots go: `browser-screenshots` in the cargo target profile
/// directory the test binary runs from (`target/debug`), else the system temp dir.
pub fn screenshot_dir() -> PathBuf {
    let from_exe = std::env::current_exe().ok().and_then(|exe| {
        // target/debug/deps/integration-<hash>
        let profile = exe.parent()?.parent()?;
        Some(profile.join("browser-screenshots"))
    });
    from_exe.unwrap_or_else(|| std::env::temp_dir().join("lims-browser-screenshots"))
}

/// A running chromedriver, killed on drop.
pub struct Driver {
    child: Child,
    base: String,
    http: reqwest::blocking::Client,
    /// Names failure screenshots: the test and the backend.
    label: String,
}

/// The device a browser runs on.
pub struct Device<'a> {
    /// Names the screenshot if the test fails while this browser is open.
    pub name: &'a str,
    /// Window size in CSS pixels.
    pub size: (u32, u32),
    /// The browser's `Accept-Language`.
    pub accept_language: &'a str,
}

impl<'a> Device<'a> {
    /// A desktop browser asking for Chinese.
    pub fn desk(name: &'a str) -> Device<'a> {
        Device {
            name,
            size: (1280, 900),
            accept_language: "zh-CN,zh",
        }
    }

    /// A phone-sized browser (390×844, as an iPhone 12–15) asking for Chinese.
    pub fn phone(name: &'a str) -> Device<'a> {
        Device {
            name,
            size: (390, 844),
            accept_language: "zh-CN,zh",
        }
    }

    /// The same device asking for English.
    pub fn english(mut self) -> Device<'a> {
        self.accept_language = "en-US,en";
        self
    }
}

impl Driver {
    /// Starts chromedriver on a free port and waits until it answers. The port is
    /// found free and then handed over, so another process may take it in between:
    /// chromedriver then exits at once and is started again on another port.
    pub fn start(label: &str) -> Driver {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("http client");
        let label = label.replace([':', ' ', '/'], "_");
        let mut last_error = String::new();
        for _ in 0..3 {
            match start_on_free_port(&http) {
                Ok((child, base)) => {
                    return Driver {
                        child,
                        base,
                        http,
                        label,
                    }
                }
                Err(e) => last_error = e,
            }
        }
        panic!("chromedriver did not start: {last_error}");
    }

    /// A new headless browser session on a device.
    pub fn browser(&self, p: Device) -> Browser<'_> {
        let mut chrome = json!({
            "binary": which(&chrome_bin()),
            "args": [
                "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--no-first-run", "--disable-extensions", "--disable-background-networking",
                format!("--window-size={},{}", p.size.0.max(500), p.size.1),
                format!("--lang={}", p.accept_language.split(',').next().unwrap_or("zh-CN")),
                format!("--accept-lang={}", p.accept_language),
            ],
            "prefs": {"intl.accept_languages": p.accept_language},
        });
        if p.size.0 < 500 {
            // A window is at least 500 px wide; a phone's viewport is emulated.
            chrome["mobileEmulation"] = json!({"deviceMetrics": {
                "width": p.size.0, "height": p.size.1, "pixelRatio": 3.0, "touch": true,
            }});
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": chrome,
        }}});
        let v = call(&self.http, "POST", &format!("{}/session", self.base), caps)
            .unwrap_or_else(|e| panic!("new browser session: {e}"));
        let id = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session id in {v}"))
            .to_string();
        let b = Browser {
            driver: self,
            url: format!("{}/session/{id}", self.base),
            name: p.name.to_string(),
            user: Default::default(),
        };
        b.cmd(
            "POST",
            "/timeouts",
            json!({"implicit": 0, "pageLoad": 20_000, "script": 15_000}),
        );
        b
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One attempt to start chromedriver: the child and its address once it is ready.
fn start_on_free_port(http: &reqwest::blocking::Client) -> Result<(Child, String), String> {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("free port: {e}"))?
        .port();
    // Its messages go to a file (a pipe nobody reads could fill and stall it).
    let mut log = tempfile::tempfile().map_err(|e| e.to_string())?;
    let mut child = Command::new(driver_bin())
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log.try_clone().map_err(|e| e.to_string())?)
        .spawn()
        .map_err(|e| format!("{}: {e}", driver_bin()))?;
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + WAIT;
    loop {
        let ready = http
            .get(format!("{base}/status"))
            .send()
            .ok()
            .and_then(|r| r.json::<Value>().ok())
            .is_some_and(|v| v["value"]["ready"] == true);
        if ready {
            return Ok((child, base));
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            let _ = log.seek(SeekFrom::Start(0));
            let _ = log.read_to_string(&mut err);
            return Err(format!("chromedriver exited ({status}): {err}"));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err("chromedriver did not answer".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The absolute path of a binary on the PATH (chromedriver wants one).
fn which(bin: &str) -> String {
    if bin.contains('/') {
        return bin.to_string();
    }
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(bin))
                .find(|p| p.is_file())
        })
        .map(|p| p.to_string_lossy().to_string())
        .unwrap_or_else(|| bin.to_string())
}

/// One WebDriver call; the answer's `value`, or the WebDriver error as text.
fn call(
    http: &reqwest::blocking::Client,
    method: &str,
    url: &str,
    body: Value,
) -> Result<Value, String> {
    let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut rb = http.request(m.clone(), url);
    if m != reqwest::Method::GET && m != reqwest::Method::DELETE {
        rb = rb.json(&body);
    }
    let r = rb.send().map_err(|e| format!("{method} {url}: {e}"))?;
    let status = r.status();
    let v: Value = r.json().map_err(|e| format!("{method} {url}: {e}"))?;
    if status.is_success() {
        Ok(v["value"].clone())
    } else {
        Err(format!(
            "{method} {url}: {} {}",
            v["value"]["error"].as_str().unwrap_or("error"),
            v["value"]["message"]
                .as_str()
                .unwrap_or("")
                .lines()
                .next()
                .unwrap_or("")
        ))
    }
}

/// One person's browser (a WebDriver session), closed on drop.
pub struct Browser<'d> {
    driver: &'d Driver,
    url: String,
    name: String,
    /// Who is logged in, for the screenshot's name.
    user: std::cell::RefCell<Option<String>>,
}

/// An element on the current page.
#[derive(Clone)]
pub struct Element<'b, 'd> {
    browser: &'b Browser<'d>,
    id: String,
}

impl<'d> Browser<'d> {
    fn try_cmd(&self, method: &str, path: &str, body: Value) -> Result<Value, String> {
        call(
            &self.driver.http,
            method,
            &format!("{}{path}", self.url),
            body,
        )
    }

    fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        self.try_cmd(method, path, body)
            .unwrap_or_else(|e| panic!("{} in the browser of {}", e, self.name))
    }

    /// Opens a URL and waits for the page to load.
    pub fn goto(&self, url: &str) {
        self.cmd("POST", "/url", json!({ "url": url }));
        self.wait_loaded();
    }

    /// The address of the current page.
    pub fn current_url(&self) -> String {
        self.cmd("GET", "/url", json!({}))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The path (and query) of the current page.
    pub fn path(&self) -> String {
        let u = url::Url::parse(&self.current_url()).expect("page url");
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        }
    }

    /// The visible text of the whole page.
    pub fn text(&self) -> String {
        self.find("body").text()
    }

    /// The first element matching a CSS selector; fails the test if there is none.
    pub fn find(&self, css: &str) -> Element<'_, 'd> {
        self.try_find(css)
            .unwrap_or_else(|| panic!("no `{css}` on {}", self.path()))
    }

    pub fn try_find(&self, css: &str) -> Option<Element<'_, 'd>> {
        self.try_cmd(
            "POST",
            "/element",
            json!({"using": "css selector", "value": css}),
        )
        .ok()
        .map(|v| self.element(&v))
    }

    /// Every element matching a CSS selector.
    pub fn find_all(&self, css: &str) -> Vec<Element<'_, 'd>> {
        self.cmd(
            "POST",
            "/elements",
            json!({"using": "css selector", "value": css}),
        )
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|v| self.element(v))
        .collect()
    }

    fn element(&self, v: &Value) -> Element<'_, 'd> {
        Element {
            browser: self,
            id: v[ELEMENT_KEY]
                .as_str()
                .unwrap_or_else(|| panic!("not an element: {v}"))
                .to_string(),
        }
    }

    /// Runs a script in the page; its return value.
    pub fn script(&self, script: &str, args: Value) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": args}),
        )
    }

    /// Waits until `cond` holds, polling the page; fails the test after a while.
    pub fn wait_until(&self, what: &str, cond: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + WAIT;
        while !cond(self) {
            assert!(
                Instant::now() < deadline,
                "waited in vain for {what} on {}",
                self.path()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_loaded(&self) {
        self.wait_until("the page to load", |b| {
            b.script("return document.readyState", json!([])) == "complete"
        });
    }

    /// Runs `act` (a click, an Enter) that leaves the page, and waits until the next
    /// page has replaced it and loaded.
    pub fn navigates(&self, act: impl FnOnce()) {
        let old = self.find("html").id;
        act();
        self.wait_until("the next page", |b| {
            b.try_cmd("GET", &format!("/element/{old}/name"), json!({}))
                .is_err()
        });
        self.wait_loaded();
    }

    /// Logs in through the login form.
    pub fn log_in(&self, base: &str, username: &str, password: &str) {
        self.goto(&format!("{base}/login"));
        *self.user.borrow_mut() = Some(username.to_string());
        self.find("input[name=username]").typed(username);
        self.find("input[name=password]").typed(password);
        self.navigates(|| self.find("form[action='/login'] button").click());
        assert!(
            !self.path().starts_with("/login"),
            "{username} is logged in: {}",
            self.text()
        );
    }

    /// Logs out with the button in the page's header.
    pub fn log_out(&self) {
        self.navigates(|| self.find("form[action='/logout'] button").click());
        *self.user.borrow_mut() = None;
        assert!(self.try_find("form[action='/logout']").is_none());
    }

    /// Fetches a URL from the page with the browser's own cookies: status, content type
    /// and body bytes.
    pub fn fetch(&self, url: &str) -> (u16, String, Vec<u8>) {
        let v = self.cmd(
            "POST",
            "/execute/async",
            json!({"script": r#"
                const done = arguments[arguments.length - 1];
                fetch(arguments[0], {credentials: 'same-origin'})
                  .then(r => r.arrayBuffer().then(b => {
                    const u = new Uint8Array(b);
                    let s = '';
                    for (let i = 0; i < u.length; i += 0x8000) {
                      s += String.fromCharCode.apply(null, u.subarray(i, i + 0x8000));
                    }
                    done({status: r.status, type: r.headers.get('content-type') || '', b64: btoa(s)});
                  }))
                  .catch(e => done({error: String(e)}));
            "#, "args": [url]}),
        );
        assert!(v["error"].is_null(), "fetch {url}: {}", v["error"]);
        let body = base64::engine::general_purpose::STANDARD
            .decode(v["b64"].as_str().unwrap_or_default())
            .expect("base64 body");
        (
            v["status"].as_u64().unwrap_or(0) as u16,
            v["type"].as_str().unwrap_or_default().to_string(),
            body,
        )
    }

    /// Forgets every cookie of the current site.
    pub fn delete_cookies(&self) {
        self.cmd("DELETE", "/cookie", json!({}));
    }

    /// The console messages logged since the last call (level and text).
    pub fn console(&self) -> Vec<(String, String)> {
        self.try_cmd("POST", "/se/log", json!({"type": "browser"}))
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .map(|e| {
                (
                    e["level"].as_str().unwrap_or_default().to_string(),
                    e["message"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// Fails the test if a page logged an error since the last call: a script error, a
    /// failed request. A form answered 422 or 409 (shown again with its messages) is
    /// logged as a failed load too; those are the pages' normal answers.
    pub fn assert_no_console_errors(&self) {
        let errors: Vec<_> = self
            .console()
            .into_iter()
            .filter(|(level, msg)| {
                level == "SEVERE"
                    && !msg.contains("/favicon.ico")
                    && !msg.contains("status of 422")
                    && !msg.contains("status of 409")
            })
            .collect();
        assert!(
            errors.is_empty(),
            "console errors on {}: {errors:?}",
            self.path()
        );
    }

    /// Saves a screenshot of the window, named `name`, under [`screenshot_dir`] and
    /// returns its path (pages a person should look at, not only failures).
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let v = self.cmd("GET", "/screenshot", json!({}));
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .expect("screenshot is base64");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{}-{name}.png", self.driver.label));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Saves a screenshot under [`screenshot_dir`] and returns its path.
    fn save_screenshot(&self) -> Result<PathBuf, String> {
        let v = self.try_cmd("GET", "/screenshot", json!({}))?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .map_err(|e| e.to_string())?;
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let who = match self.user.borrow().as_deref() {
            Some(u) => format!("{}-{u}", self.name),
            None => self.name.clone(),
        };
        let path = dir.join(format!("{}-{who}.png", self.driver.label));
        std::fs::write(&path, png).map_err(|e| e.to_string())?;
        Ok(path)
    }
}

impl Drop for Browser<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let url = self
                .try_cmd("GET", "/url", json!({}))
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .unwrap_or_default();
            match self.save_screenshot() {
                Ok(p) => eprintln!(
                    "browser test failed: screenshot of the {} browser at {url}: {}",
                    self.name,
                    p.display()
                ),
                Err(e) => eprintln!("browser test failed: no screenshot of {}: {e}", self.name),
            }
        }
        let _ = self.try_cmd("DELETE", "", json!({}));
    }
}

impl<'b, 'd> Element<'b, 'd> {
    fn cmd(&self, method: &str, what: &str, body: Value) -> Value {
        self.browser
            .cmd(method, &format!("/element/{}{what}", self.id), body)
    }

    pub fn click(&self) {
        self.cmd("POST", "/click", json!({}));
    }

    /// Types `text` (after clearing the field); `ENTER` in it presses Enter.
    pub fn typed(&self, text: &str) {
        self.cmd("POST", "/clear", json!({}));
        self.cmd("POST", "/value", json!({ "text": text }));
    }

    /// The element's visible text.
    pub fn text(&self) -> String {
        self.cmd("GET", "/text", json!({}))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// A DOM property (`value`, `checked`, `href`…).
    pub fn prop(&self, name: &str) -> Value {
        self.cmd("GET", &format!("/property/{name}"), json!({}))
    }

    pub fn attr(&self, name: &str) -> Option<String> {
        self.cmd("GET", &format!("/attribute/{name}"), json!({}))
            .as_str()
            .map(str::to_string)
    }

    /// Picks the option of a `<select>` whose visible text contains `label`.
    pub fn select(&self, label: &str) {
        let options = self.browser.cmd(
            "POST",
            &format!("/element/{}/elements", self.id),
            json!({"using": "css selector", "value": "option"}),
        );
        let option = options
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|v| self.browser.element(v))
            .find(|o| o.text().contains(label))
            .unwrap_or_else(|| panic!("no option `{label}`"));
        option.click();
    }

    /// Checks a checkbox if it is not checked.
    pub fn check(&self) {
        if self.prop("checked") != true {
            self.click();
        }
    }
}

impl<'b, 'd> Element<'b, 'd> {
    /// The first element inside this one matching a CSS selector.
    pub fn find(&self, css: &str) -> Element<'b, 'd> {
        let v = self.cmd(
            "POST",
            "/element",
            json!({"using": "css selector", "value": css}),
        );
        self.browser.element(&v)
    }
}
