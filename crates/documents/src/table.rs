//! Tables out: one [`Table`] (a header row and rows of cells) as CSV for a spreadsheet
//! (UTF-8 with a byte-order mark, so Excel reads Chinese) or as an XLSX workbook (Office
//! Open XML, written by hand: a ZIP of a few XML parts with inline strings).
//! Invariants: the same tables always give the same bytes; no text cell can be run as a
//! formula (CSV text that would start one gets a leading `'`; XLSX text is an inline
//! string, never a formula).

use super::bundle::zip;
use super::DocError;

/// One cell. Numbers stay numbers in XLSX so a spreadsheet can sum them.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<i64> for Cell {
    fn from(v: i64) -> Self {
        Cell::Number(v as f64)
    }
}

impl From<u64> for Cell {
    fn from(v: u64) -> Self {
        Cell::Number(v as f64)
    }
}

impl From<f64> for Cell {
    fn from(v: f64) -> Self {
        if v.is_finite() {
            Cell::Number(v)
        } else {
            Cell::Empty
        }
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Empty, Into::into)
    }
}

/// Text a spreadsheet program cannot run as a formula (OWASP's CSV injection rule): a
/// text that begins with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading
/// `'`, which spreadsheets show as text. A sampler types entity and product names, and
/// supervisors open the CSV: `=HYPERLINK(…)` or `=cmd|…` must stay words.
fn inert_text(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

impl Cell {
    /// The cell as CSV text: numbers in their shortest exact form (a negative number is
    /// a number, never neutralised), text through [`inert_text`].
    fn csv_text(&self) -> String {
        match self {
            Cell::Text(s) => inert_text(s),
            Cell::Number(v) => format_number(*v),
            Cell::Empty => String::new(),
        }
    }
}

/// A named table: the sheet name in a workbook, a header row, and rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub name: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(name: &str, header: &[&str]) -> Self {
        Table {
            name: name.to_string(),
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }
}

/// `v` without a needless ".0" (whole numbers print as integers).
fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The table as CSV: a UTF-8 byte-order mark, the header, then the rows, CRLF line ends.
/// No text cell can start a formula ([`inert_text`]); XLSX needs no such care, because
/// it writes text as inline strings, which are never formulas.
pub fn csv(table: &Table) -> Result<Vec<u8>, DocError> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        let fail = |e: csv::Error| DocError::Invalid(format!("CSV: {e}"));
        w.write_record(table.header.iter().map(|h| inert_text(h)))
            .map_err(fail)?;
        for row in &table.rows {
            w.write_record(row.iter().map(Cell::csv_text))
                .map_err(fail)?;
        }
        w.flush()
            .map_err(|e| DocError::Invalid(format!("CSV: {e}")))?;
    }
    Ok(out)
}

/// Text fit for XML 1.0: markup escaped, and characters XML cannot hold (control
/// characters other than tab, line feed and carriage return) dropped.
fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// The column letters of a zero-based index: 0 → A, 25 → Z, 26 → AA.
fn column(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, not empty, and
/// unique within the workbook (a repeat gets " (2)" and so on).
fn sheet_name(name: &str, taken: &mut Vec<String>) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .filter(|c| !c.is_control())
        .take(31)
        .collect();
    let base = if clean.trim().is_empty() {
        "Sheet".to_string()
    } else {
        clean
    };
    let mut candidate = base.clone();
    let mut n = 2;
    while taken.iter().any(|t| t.eq_ignore_ascii_case(&candidate)) {
        let suffix = format!(" ({n})");
        let keep = 31usize.saturating_sub(suffix.chars().count());
        candidate = format!("{}{suffix}", base.chars().take(keep).collect::<String>());
        n += 1;
    }
    taken.push(candidate.clone());
    candidate
}

fn cell_xml(out: &mut String, col: usize, row: usize, cell: &Cell, style: u8) {
    let r = format!("{}{}", column(col), row + 1);
    let s = if style > 0 {
        format!(" s=\"{style}\"")
    } else {
        String::new()
    };
    match cell {
        Cell::Text(t) => {
            out.push_str(&format!(
                "<c r=\"{r}\"{s} t=\"inlineStr\"><is><t xml:space=\"preserve\">{}</t></is></c>",
                xml_text(t)
            ));
        }
        Cell::Number(v) => {
            out.push_str(&format!("<c r=\"{r}\"{s}><v>{}</v></c>", format_number(*v)));
        }
        Cell::Empty => {}
    }
}

fn sheet_xml(table: &Table) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
         <sheetViews><sheetView workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" \
         activePane=\"bottomLeft\" state=\"frozen\"/></sheetView></sheetViews><sheetData>",
    );
    out.push_str("<row r=\"1\">");
    for (c, h) in table.header.iter().enumerate() {
        cell_xml(&mut out, c, 0, &Cell::Text(h.clone()), 1);
    }
    out.push_str("</row>");
    for (i, row) in table.rows.iter().enumerate() {
        out.push_str(&format!("<row r=\"{}\">", i + 2));
        for (c, cell) in row.iter().enumerate() {
            cell_xml(&mut out, c, i + 1, cell, 0);
        }
        out.push_str("</row>");
    }
    out.push_str("</sheetData></worksheet>");
    out
}

const CONTENT_TYPES_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>";

const ROOT_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>\
</Relationships>";

/// Two cell formats: 0 plain, 1 bold (the header row).
const STYLES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/></font>\
<font><b/><sz val=\"11\"/><name val=\"Calibri\"/></font></fonts>\
<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill><fill><patternFill patternType=\"gray125\"/></fill></fills>\
<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>\
<cellXfs count=\"2\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>\
<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/></cellXfs>\
</styleSheet>";

/// The tables as one XLSX workbook, a sheet per table in the order given. At least one
/// table is needed; an empty table still has its header row.
pub fn xlsx(tables: &[Table]) -> Result<Vec<u8>, DocError> {
    if tables.is_empty() {
        return Err(DocError::Invalid(
            "a workbook needs at least one sheet".into(),
        ));
    }
    let mut types = String::from(CONTENT_TYPES_HEAD);
    let mut workbook = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
         xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets>",
    );
    let mut rels = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    );
    let mut sheets = Vec::new();
    let mut taken = Vec::new();
    for (i, t) in tables.iter().enumerate() {
        let n = i + 1;
        types.push_str(&format!(
            "<Override PartName=\"/xl/worksheets/sheet{n}.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
        ));
        workbook.push_str(&format!(
            "<sheet name=\"{}\" sheetId=\"{n}\" r:id=\"rId{n}\"/>",
            xml_text(&sheet_name(&t.name, &mut taken))
        ));
        rels.push_str(&format!(
            "<Relationship Id=\"rId{n}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet{n}.xml\"/>"
        ));
        sheets.push((
            format!("xl/worksheets/sheet{n}.xml"),
            sheet_xml(t).into_bytes(),
        ));
    }
    let styles_id = tables.len() + 1;
    rels.push_str(&format!(
        "<Relationship Id=\"rId{styles_id}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>"
    ));
    types.push_str("</Types>");
    workbook.push_str("</sheets></workbook>");
    rels.push_str("</Relationships>");
    let mut files = vec![
        ("[Content_Types].xml".to_string(), types.into_bytes()),
        ("_rels/.rels".to_string(), ROOT_RELS.as_bytes().to_vec()),
        ("xl/workbook.xml".to_string(), workbook.into_bytes()),
        ("xl/_rels/workbook.xml.rels".to_string(), rels.into_bytes()),
        ("xl/styles.xml".to_string(), STYLES.as_bytes().to_vec()),
    ];
    files.extend(sheets);
    zip(&files)
}

/// The MIME type of an XLSX workbook.
pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// The MIME type of the CSV export.
pub const CSV_MIME: &str = "text/csv; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new("核查处置", &["区划", "批次", "比率"]);
        t.push(vec!["西宁市".into(), Cell::from(12_u64), Cell::from(0.5)]);
        t.push(vec![
            "a<b & \"c\"\u{1}".into(),
            Cell::Empty,
            Cell::from(f64::NAN),
        ]);
        t
    }

    #[test]
    fn columns_are_letters() {
        assert_eq!(column(0), "A");
        assert_eq!(column(25), "Z");
        assert_eq!(column(26), "AA");
        assert_eq!(column(27), "AB");
        assert_eq!(column(701), "ZZ");
        assert_eq!(column(702), "AAA");
    }

    #[test]
    fn csv_has_bom_and_keeps_chinese() {
        let bytes = csv(&sample()).unwrap();
        assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF]);
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert_eq!(
            text,
            "区划,批次,比率\r\n西宁市,12,0.5\r\n\"a<b & \"\"c\"\"\u{1}\",,\r\n"
        );
    }

    #[test]
    fn csv_text_cells_that_a_spreadsheet_would_run_get_a_leading_quote() {
        let mut t = Table::new("t", &["name", "n"]);
        for s in [
            "=HYPERLINK(\"http://evil.example\",\"x\")",
            "=cmd|' /C calc'!A0",
            "+1+1",
            "-2+3",
            "@SUM(A1:A2)",
            "\t=1",
            "\r=1",
        ] {
            t.push(vec![s.into(), Cell::from(-5_i64)]);
        }
        let text = String::from_utf8(csv(&t).unwrap()[3..].to_vec()).unwrap();
        let mut rdr = ::csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let firsts: Vec<String> = rdr
            .records()
            .map(|r| {
                let r = r.unwrap();
                // Numbers written as numbers are left alone, negative ones too.
                assert_eq!(&r[1], "-5");
                r[0].to_string()
            })
            .collect();
        assert_eq!(
            firsts,
            [
                "'=HYPERLINK(\"http://evil.example\",\"x\")",
                "'=cmd|' /C calc'!A0",
                "'+1+1",
                "'-2+3",
                "'@SUM(A1:A2)",
                "'\t=1",
                "'\r=1",
            ]
        );
    }

    #[test]
    fn csv_leaves_harmless_text_as_written() {
        let mut t = Table::new("t", &["name"]);
        for s in ["a=b", " x", "'quoted", "西宁市", ""] {
            t.push(vec![s.into()]);
        }
        let text = String::from_utf8(csv(&t).unwrap()[3..].to_vec()).unwrap();
        assert_eq!(text, "name\r\na=b\r\n x\r\n'quoted\r\n西宁市\r\n\"\"\r\n");
    }

    #[test]
    fn xlsx_writes_a_formula_as_inline_text_never_as_a_formula() {
        let mut t = Table::new("t", &["name"]);
        t.push(vec!["=HYPERLINK(\"http://evil.example\")".into()]);
        t.push(vec!["-3".into()]);
        let sheet = sheet_xml(&t);
        assert!(!sheet.contains("<f>") && !sheet.contains("<f "));
        assert!(sheet.contains(
            "<c r=\"A2\" t=\"inlineStr\"><is><t xml:space=\"preserve\">=HYPERLINK(&quot;http://evil.example&quot;)</t></is></c>"
        ));
        assert!(sheet
            .contains("<c r=\"A3\" t=\"inlineStr\"><is><t xml:space=\"preserve\">-3</t></is></c>"));
    }

    #[test]
    fn xml_text_escapes_and_drops_control_characters() {
        assert_eq!(xml_text("a<b>&\"\u{1}\tc"), "a&lt;b&gt;&amp;&quot;\tc");
    }

    #[test]
    fn sheet_names_are_cleaned_and_unique() {
        let mut taken = Vec::new();
        assert_eq!(sheet_name("a/b:c", &mut taken), "abc");
        assert_eq!(sheet_name("ABC", &mut taken), "ABC (2)");
        assert_eq!(sheet_name("", &mut taken), "Sheet");
        let long = "x".repeat(40);
        assert_eq!(sheet_name(&long, &mut taken).chars().count(), 31);
        assert_eq!(
            sheet_name(&long, &mut taken),
            format!("{} (2)", "x".repeat(27))
        );
    }

    #[test]
    fn xlsx_parts_hold_the_cells() {
        let bytes = xlsx(&[sample(), Table::new("空", &["x"])]).unwrap();
        assert_eq!(&bytes[..4], b"PK\x03\x04");
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("<sheet name=\"核查处置\" sheetId=\"1\""));
        assert!(text.contains("<sheet name=\"空\" sheetId=\"2\""));
        assert!(
            text.contains("<c r=\"A2\" t=\"inlineStr\"><is><t xml:space=\"preserve\">西宁市</t>")
        );
        assert!(text.contains("<c r=\"B2\"><v>12</v></c><c r=\"C2\"><v>0.5</v></c>"));
        assert!(text.contains("a&lt;b &amp; &quot;c&quot;</t>"));
        // Same tables, same bytes.
        assert_eq!(bytes, xlsx(&[sample(), Table::new("空", &["x"])]).unwrap());
        assert!(xlsx(&[]).is_err());
    }
}
