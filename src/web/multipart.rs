//! Reading a `multipart/form-data` body (a page form with a file input) as the pairs a
//! urlencoded form gives: a text part is its value; a file part is its content in
//! standard base64 (the handler decodes it); a file input left empty is left out.
//! Used by `web::forms::CsrfForm`, so such a form is CSRF-checked as every other.

use base64::Engine;

/// The boundary of a `multipart/form-data` content type.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("boundary"))
            .then(|| v.trim().trim_matches('"').to_string())
            .filter(|b| !b.is_empty() && b.len() <= 200)
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

/// A parameter of a Content-Disposition header line, e.g. `name="logo"`.
fn param(line: &str, key: &str) -> Option<String> {
    line.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// The parts of `body` as pairs, in the order sent; an error names what is malformed.
pub(crate) fn pairs(boundary: &str, body: &[u8]) -> Result<Vec<(String, String)>, String> {
    let delim = format!("--{boundary}").into_bytes();
    let next_delim = format!("\r\n--{boundary}").into_bytes();
    let mut at = find(body, &delim, 0).ok_or("no multipart boundary")? + delim.len();
    let mut out = Vec::new();
    loop {
        if body[at..].starts_with(b"--") {
            return Ok(out);
        }
        if !body[at..].starts_with(b"\r\n") {
            return Err("malformed multipart boundary".into());
        }
        at += 2;
        let head_end = find(body, b"\r\n\r\n", at).ok_or("malformed multipart headers")?;
        let head = std::str::from_utf8(&body[at..head_end])
            .map_err(|_| "multipart headers are not UTF-8")?;
        let start = head_end + 4;
        let end = find(body, &next_delim, start).ok_or("unterminated multipart part")?;
        let content = &body[start..end];
        at = end + next_delim.len();
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .ok_or("a multipart part without Content-Disposition")?;
        let name = param(disposition, "name").ok_or("a multipart part without a name")?;
        match param(disposition, "filename") {
            Some(_) if content.is_empty() => {}
            Some(_) => out.push((
                name,
                base64::engine::general_purpose::STANDARD.encode(content),
            )),
            None => out.push((
                name,
                String::from_utf8(content.to_vec()).map_err(|_| "a form field is not UTF-8")?,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_file_parts_read_as_pairs() {
        let ct = "multipart/form-data; boundary=XyZ";
        let b = boundary(ct).expect("boundary");
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nt0k\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PN\r\nG\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"cma\"; filename=\"\"\r\n\r\n\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n\xe5\x90\x8d\r\n--XyZ--\r\n";
        let p = pairs(&b, body).expect("pairs");
        assert_eq!(p[0], ("csrf".into(), "t0k".into()));
        assert_eq!(p[1].0, "logo");
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(&p[1].1)
                .expect("b64"),
            b"\x89PN\r\nG"
        );
        assert_eq!(p[2], ("name".into(), "名".into()));
        assert_eq!(p.len(), 3);
        assert!(pairs(&b, b"--XyZ\r\nno headers").is_err());
        assert!(boundary("application/x-www-form-urlencoded").is_none());
    }
}
