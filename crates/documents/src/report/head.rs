//! The report's first page head (title, qualification mark, logo, the QR code with the
//! typed verification code), the cover page and the sign-off block.

use super::*;
use crate::pdf::Image;

/// The CMA mark area, top left of page 1 and of the cover, and the logo under it.
const MARK_W: f32 = 26.0;
const MARK_H: f32 = 14.0;
const LOGO_H: f32 = 12.0;
/// The verification code's line under the QR caption.
const CODE_PT: f32 = 6.5;

/// The lab's images, decoded once per rendering.
pub(super) struct Decoded {
    pub(super) logo: Option<Image>,
    pub(super) cma: Option<Image>,
}

impl Decoded {
    pub(super) fn new(assets: &ReportAssets) -> Result<Self, DocError> {
        Ok(Self {
            logo: assets.logo_png.map(Image::from_png).transpose()?,
            cma: assets.cma_png.map(Image::from_png).transpose()?,
        })
    }
}

/// The number as printed: a draft has none yet.
pub(super) fn number(doc: &ReportDoc) -> &str {
    if doc.draft {
        "（草稿，签发时编号）"
    } else {
        &doc.report_no
    }
}

/// The CMA mark (the lab's image, else a framed box labelled "CMA") at (x, y), and the
/// logo under it when there is one.
fn marks(page: &mut Page, images: &Decoded, forms: &mut QrForms, x: f32, y: f32) {
    match &images.cma {
        Some(image) => page.canvas.image(forms, image, x, y, MARK_W, MARK_H),
        None => {
            page.canvas.rect_stroke(x, y, MARK_W, MARK_H, THICK);
            let b = y + MARK_H / 2.0 + (EM_ASCENT - 0.5) * mm(12.0);
            page.centred(x + MARK_W / 2.0, b, 12.0, "CMA");
        }
    }
    if let Some(logo) = &images.logo {
        page.canvas
            .image(forms, logo, x, y + MARK_H + 1.5, MARK_W, LOGO_H);
    }
}

/// Page 1 above the information table: the title, the qualification mark and its area,
/// the lab's header lines, and the verification QR code with its typed code (or their
/// blank place, so nothing else moves). Returns where the information table starts.
pub(super) fn first_page_head(
    page: &mut Page,
    doc: &ReportDoc,
    images: &Decoded,
    forms: &mut QrForms,
) -> Result<f32, DocError> {
    let title = spaced(&doc.title);
    let mut size = 20.0;
    let width = text_width(&title, size);
    if width > TITLE_MAX_W {
        size *= TITLE_MAX_W / width;
    }
    page.centred(PAGE_W / 2.0, BODY_TOP + 12.0, size, &title);
    if let Some(mark) = wrap(&doc.lab.cma_no, TITLE_MAX_W / mm(8.5), 1).first() {
        page.centred(PAGE_W / 2.0, BODY_TOP + 20.0, 8.5, mark);
    }
    marks(page, images, forms, MARGIN, QR_Y);
    let mut y = BODY_TOP + 24.5;
    for line in doc.lab.header_lines.iter().map(|l| l.trim()) {
        for l in wrap(line, TITLE_MAX_W / mm(SMALL_PT), 3) {
            page.centred(PAGE_W / 2.0, y, SMALL_PT, &l);
            y += 3.4;
        }
    }
    if !doc.draft {
        if let Some(url) = &doc.verify_url {
            page.canvas.qr(forms, url, Ecc::M, QR_X, QR_Y, QR_SIZE)?;
            let caption = if doc.verification_code.is_some() {
                "扫码或凭核验码验证真伪"
            } else {
                "扫码验证报告真伪"
            };
            page.centred(QR_X + QR_SIZE / 2.0, QR_Y + QR_SIZE + 2.6, 6.0, caption);
        }
        if let Some(code) = doc.verification_code.as_deref().map(str::trim) {
            // Under the QR square, in groups of five so it can be read out and typed
            // (the verification box ignores the spaces).
            let grouped = group(code, 5);
            let room = QR_SIZE + 12.0;
            let size = (room / text_width(&format!("核验码 {grouped}"), 1.0)).min(CODE_PT);
            let centre = QR_X + QR_SIZE / 2.0;
            let line = format!("核验码 {grouped}");
            if text_width(&line, size) <= QR_SIZE {
                page.centred(centre, QR_Y + QR_SIZE + 5.6, size, &line);
            } else {
                page.right(MARGIN + CONTENT_W, QR_Y + QR_SIZE + 5.6, size, &line);
            }
        }
    }
    Ok(INFO_TOP.max(y + 1.0))
}

/// `code` in groups of `n` characters separated by spaces.
fn group(code: &str, n: usize) -> String {
    let chars: Vec<char> = code.chars().collect();
    chars
        .chunks(n)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A short Chinese title with a space between its characters ("检 验 报 告"), as reports
/// are usually headed; anything else as it is.
pub(super) fn spaced(title: &str) -> String {
    let n = title.chars().count();
    if (2..=6).contains(&n) && title.chars().all(|c| !c.is_ascii() && !c.is_whitespace()) {
        let mut out = String::with_capacity(title.len() * 2);
        for (i, c) in title.chars().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push(c);
        }
        out
    } else {
        title.to_string()
    }
}

/// The cover page: the title, the number, the product, the sampled party, the lab, the
/// issue date and the place of the seal. The page's band and footer come with the flow.
pub(super) fn cover(page: &mut Page, doc: &ReportDoc, images: &Decoded, forms: &mut QrForms) {
    marks(page, images, forms, MARGIN, QR_Y);
    if let Some(mark) = wrap(&doc.lab.cma_no, TITLE_MAX_W / mm(8.5), 1).first() {
        page.centred(PAGE_W / 2.0, BODY_TOP + 20.0, 8.5, mark);
    }
    let title = spaced(&doc.title);
    let size = (CONTENT_W * 0.8 / text_width(&title, 1.0)).min(30.0);
    page.centred(PAGE_W / 2.0, 85.0, size, &title);
    page.centred(
        PAGE_W / 2.0,
        100.0,
        12.0,
        &format!("报告编号：{}", number(doc)),
    );
    let rows = [
        ("样品名称", doc.product_name.as_str()),
        ("被抽样单位", doc.entity_name.as_str()),
        ("检验类别", doc.plan_kind.as_str()),
        ("检验机构", doc.lab.name.as_str()),
        ("签发日期", doc.issued_on.as_str()),
    ];
    const COVER_PT: f32 = 12.0;
    let label_w = 32.0;
    let x = MARGIN + 22.0;
    let value_w = CONTENT_W - 44.0 - label_w;
    let mut y = 130.0;
    for (label, value) in rows {
        page.text(x, y, COVER_PT, format!("{label}："));
        let lines = wrap(or_slash(value), value_w / mm(COVER_PT), 3);
        for (i, l) in lines.iter().enumerate() {
            let b = y + i as f32 * line_h(COVER_PT);
            page.text(x + label_w, b, COVER_PT, l.as_str());
            page.canvas
                .line(x + label_w, b + 1.5, x + label_w + value_w, b + 1.5, THIN);
        }
        y += lines.len().max(1) as f32 * line_h(COVER_PT) + 5.0;
    }
    page.centred(PAGE_W / 2.0, y + 25.0, 12.0, "（检验检测专用章）");
}

/// The three sign-off titles, the lab's words or the usual ones.
fn titles(lab: &LabIdentity) -> [String; 3] {
    let t = |own: &str, usual: &str| {
        let own = own.trim().trim_end_matches(['：', ':']);
        format!("{}：", if own.is_empty() { usual } else { own })
    };
    [
        t(&lab.tester_title, "检验"),
        t(&lab.reviewer_title, "审核"),
        t(&lab.signatory_title, "批准（授权签字人）"),
    ]
}

/// Tester, reviewer and authorised signatory on signature lines, then the issue date
/// and the place of the seal; kept whole on one page. A name is never cut: it shrinks to
/// fit after its title, else goes on the line below at the size that fits the column,
/// wrapped between words if it must.
pub(super) fn sign_off(flow: &mut Flow, doc: &ReportDoc) {
    const SIZE: f32 = 9.0;
    const MIN: f32 = 7.5;
    let col_w = CONTENT_W / 3.0;
    let titles = titles(&doc.lab);
    let names = [doc.tester.trim(), doc.reviewer.trim(), doc.signatory.trim()];
    // Per column: the name's size and lines, and whether it sits beside its title.
    let laid: Vec<(f32, Vec<String>, bool)> = titles
        .iter()
        .zip(names)
        .map(|(title, name)| {
            let room = col_w - 6.0 - text_width(title, SIZE);
            let size = (room / text_width(name, 1.0).max(0.01)).min(SIZE);
            if name.is_empty() || size >= MIN {
                return (size.max(MIN), vec![name.to_string()], true);
            }
            let room = col_w - 4.0;
            let size = (room / text_width(name, 1.0)).clamp(MIN, SIZE);
            (size, wrap(name, room / mm(size), 4), false)
        })
        .collect();
    let below = laid
        .iter()
        .filter(|l| !l.2)
        .map(|l| l.1.len() as f32 * line_h(l.0))
        .fold(0.0, f32::max);
    let h = 16.0 + below;
    flow.ensure(h);
    let baseline = flow.y + 7.0;
    let page = flow.page();
    for (i, (title, (size, lines, beside))) in titles.iter().zip(&laid).enumerate() {
        let x = MARGIN + i as f32 * col_w;
        let title_w = text_width(title, SIZE);
        page.text(x, baseline, SIZE, title.as_str());
        let line_end = x + col_w - 4.0;
        page.canvas.line(
            x + title_w + 0.5,
            baseline + 1.3,
            line_end,
            baseline + 1.3,
            THIN,
        );
        if *beside {
            if let Some(name) = lines.first() {
                page.text(x + title_w + 2.0, baseline, *size, name.as_str());
            }
        } else {
            for (j, l) in lines.iter().enumerate() {
                let b = baseline + 1.3 + (j + 1) as f32 * line_h(*size);
                page.text(x, b, *size, l.as_str());
            }
        }
    }
    let second = baseline + 6.5 + below;
    let issued = if doc.draft {
        ""
    } else {
        doc.issued_on.as_str()
    };
    page.text(MARGIN + col_w, second, SIZE, format!("签发日期：{issued}"));
    page.text(MARGIN + 2.0 * col_w, second, SIZE, "（检验检测专用章）");
    flow.y += h;
}
