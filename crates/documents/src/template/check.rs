//! The checks of a label template's sheet and layout, with errors naming file, line and
//! field, and the reading of TOML syntax errors.

use super::*;

pub(super) fn check_sheet(
    ck: &Checker,
    s: &RawSheet,
    page_w: f32,
    page_h: f32,
) -> Result<SheetGrid, TemplateError> {
    let count = |v: &S<i64>, field: &str| -> Result<u32, TemplateError> {
        let n = *v.get_ref();
        if !(1..=100).contains(&n) {
            return Err(ck.err(&v.span(), field, format!("must be 1..=100, got {n}")));
        }
        Ok(n as u32)
    };
    let grid = SheetGrid {
        columns: count(&s.columns, "sheet.columns")?,
        rows: count(&s.rows, "sheet.rows")?,
        label_width_mm: ck.positive(&s.label_width_mm, "sheet.label_width_mm", page_w)?,
        label_height_mm: ck.positive(&s.label_height_mm, "sheet.label_height_mm", page_h)?,
        margin_left_mm: ck.optional(&s.margin_left_mm, "sheet.margin_left_mm", 0.0, 0.0, page_w)?,
        margin_top_mm: ck.optional(&s.margin_top_mm, "sheet.margin_top_mm", 0.0, 0.0, page_h)?,
        gap_x_mm: ck.optional(&s.gap_x_mm, "sheet.gap_x_mm", 0.0, 0.0, page_w)?,
        gap_y_mm: ck.optional(&s.gap_y_mm, "sheet.gap_y_mm", 0.0, 0.0, page_h)?,
    };
    let used_w = grid.margin_left_mm
        + grid.columns as f32 * grid.label_width_mm
        + (grid.columns - 1) as f32 * grid.gap_x_mm;
    if used_w > page_w + FIT_EPS {
        return Err(ck.err(
            &s.columns.span(),
            "sheet.columns",
            format!("the grid is {used_w} mm wide, wider than the page ({page_w} mm)"),
        ));
    }
    let used_h = grid.margin_top_mm
        + grid.rows as f32 * grid.label_height_mm
        + (grid.rows - 1) as f32 * grid.gap_y_mm;
    if used_h > page_h + FIT_EPS {
        return Err(ck.err(
            &s.rows.span(),
            "sheet.rows",
            format!("the grid is {used_h} mm tall, taller than the page ({page_h} mm)"),
        ));
    }
    Ok(grid)
}

pub(super) fn check_layout(
    ck: &Checker,
    raw: &RawLayout,
    part: &str,
    (label_w, label_h): (f32, f32),
) -> Result<LabelLayout, TemplateError> {
    let mut out = LabelLayout::default();

    for (i, b) in raw.boxes.iter().enumerate() {
        let f = |name: &str| format!("{part}.box[{i}].{name}");
        let width_mm = ck.positive(&b.width_mm, &f("width_mm"), label_w)?;
        let height_mm = ck.positive(&b.height_mm, &f("height_mm"), label_h)?;
        ck.fits(&b.x_mm, &f("x_mm"), width_mm, label_w, "width")?;
        ck.fits(&b.y_mm, &f("y_mm"), height_mm, label_h, "height")?;
        out.boxes.push(BoxElement {
            x_mm: *b.x_mm.get_ref(),
            y_mm: *b.y_mm.get_ref(),
            width_mm,
            height_mm,
            thickness_mm: thickness(ck, &b.thickness_mm, &f("thickness_mm"), 0.3)?,
        });
    }

    for (i, l) in raw.lines.iter().enumerate() {
        let f = |name: &str| format!("{part}.line[{i}].{name}");
        for (v, name, limit, what) in [
            (&l.x1_mm, "x1_mm", label_w, "width"),
            (&l.y1_mm, "y1_mm", label_h, "height"),
            (&l.x2_mm, "x2_mm", label_w, "width"),
            (&l.y2_mm, "y2_mm", label_h, "height"),
        ] {
            ck.fits(v, &f(name), 0.0, limit, what)?;
        }
        out.lines.push(LineElement {
            x1_mm: *l.x1_mm.get_ref(),
            y1_mm: *l.y1_mm.get_ref(),
            x2_mm: *l.x2_mm.get_ref(),
            y2_mm: *l.y2_mm.get_ref(),
            thickness_mm: thickness(ck, &l.thickness_mm, &f("thickness_mm"), 0.2)?,
        });
    }

    for (i, q) in raw.qrs.iter().enumerate() {
        let f = |name: &str| format!("{part}.qr[{i}].{name}");
        let size_mm = ck.number(&q.size_mm, &f("size_mm"), 8.0, label_w.min(label_h))?;
        ck.fits(&q.x_mm, &f("x_mm"), size_mm, label_w, "width")?;
        ck.fits(&q.y_mm, &f("y_mm"), size_mm, label_h, "height")?;
        out.qrs.push(QrElement {
            x_mm: *q.x_mm.get_ref(),
            y_mm: *q.y_mm.get_ref(),
            size_mm,
            ecc: q.ecc.as_ref().map(|e| *e.get_ref()).unwrap_or(Ecc::M),
        });
    }

    for (i, t) in raw.texts.iter().enumerate() {
        let f = |name: &str| format!("{part}.text[{i}].{name}");
        let text = t.text.get_ref();
        if text.trim().is_empty() {
            return Err(ck.err(&t.text.span(), f("text"), "must not be empty"));
        }
        check_placeholders(text).map_err(|m| ck.err(&t.text.span(), f("text"), m))?;
        let max_lines = match &t.max_lines {
            Some(v) if !(1..=20).contains(v.get_ref()) => {
                return Err(ck.err(
                    &v.span(),
                    f("max_lines"),
                    format!("must be 1..=20, got {}", v.get_ref()),
                ))
            }
            Some(v) => *v.get_ref() as u32,
            None => 1,
        };
        let el = TextElement {
            x_mm: *t.x_mm.get_ref(),
            y_mm: *t.y_mm.get_ref(),
            width_mm: ck.positive(&t.width_mm, &f("width_mm"), label_w)?,
            font_size_pt: ck.number(&t.font_size_pt, &f("font_size_pt"), 3.0, 72.0)?,
            max_lines,
            line_spacing: ck.optional(&t.line_spacing, &f("line_spacing"), 1.2, 0.8, 3.0)?,
            align: t.align.as_ref().map(|a| *a.get_ref()).unwrap_or_default(),
            text: text.clone(),
        };
        ck.fits(&t.x_mm, &f("x_mm"), el.width_mm, label_w, "width")?;
        ck.fits(&t.y_mm, &f("y_mm"), el.height_mm(), label_h, "height")?;
        out.texts.push(el);
    }

    // Every label must be scannable and readable without the scanner (SPEC §3).
    if out.qrs.is_empty() {
        return Err(ck.err_at(
            ck.header_line(part),
            part,
            "needs at least one [[qr]] element",
        ));
    }
    if !out.texts.iter().any(|t| t.text.contains("{sample_no}")) {
        return Err(ck.err_at(
            ck.header_line(part),
            part,
            "needs a [[text]] element that prints {sample_no}",
        ));
    }
    Ok(out)
}

pub(super) fn thickness(
    ck: &Checker,
    v: &Option<S<f32>>,
    field: &str,
    default: f32,
) -> Result<f32, TemplateError> {
    match v {
        Some(v) => ck.positive(v, field, 5.0),
        None => Ok(default),
    }
}

/// Turns a TOML or serde error into file, line and the dotted field it concerns.
pub(super) fn syntax_error(ck: &Checker, e: &toml::de::Error) -> TemplateError {
    // One line, for logs: TOML syntax messages come on several.
    let message = e
        .message()
        .trim()
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("; ");
    let Some(span) = e.span() else {
        return TemplateError {
            file: ck.file.to_string(),
            line: None,
            field: "(file)".into(),
            message,
        };
    };
    let line = ck.line_of(&span);
    let lines: Vec<&str> = ck.text.lines().collect();
    // The table the error is in: the nearest header at or above the line, with its
    // index for arrays of tables (`[[portion.qr]]` → `portion.qr[1]`).
    let mut table = String::new();
    let mut counts: Vec<(String, usize)> = Vec::new();
    for l in lines.iter().take(line) {
        let l = l.trim();
        if let Some(h) = l.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
            let h = h.trim().to_string();
            let n = match counts.iter_mut().find(|(k, _)| *k == h) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    counts.push((h.clone(), 0));
                    0
                }
            };
            table = format!("{h}[{n}]");
        } else if let Some(h) = l.strip_prefix('[').and_then(|r| r.split(']').next()) {
            table = h.trim().to_string();
        }
    }
    // The key: named in the message (unknown or missing field), else the key on the line.
    let key = between_backticks(&message)
        .filter(|_| message.starts_with("unknown field") || message.starts_with("missing field"))
        .or_else(|| {
            let l = lines.get(line - 1)?.trim();
            let (k, _) = l.split_once('=')?;
            let k = k.trim();
            (!k.is_empty() && !k.starts_with('[')).then(|| k.to_string())
        });
    let field = match (table.is_empty(), key) {
        (true, Some(k)) => k,
        (false, Some(k)) => format!("{table}.{k}"),
        (false, None) => table,
        (true, None) => "(file)".to_string(),
    };
    TemplateError {
        file: ck.file.to_string(),
        line: Some(line),
        field,
        message,
    }
}

pub(super) fn between_backticks(s: &str) -> Option<String> {
    let start = s.find('`')? + 1;
    let len = s[start..].find('`')?;
    Some(s[start..start + len].to_string())
}
