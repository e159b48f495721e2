//! The vocabularies of the national sampling form's sample fields (docs/domain/rules.md
//! §c.3): packaging, physical form, source, sampling method and area type. Each is
//! stored and sent as its key and shown as its words; an unknown key is refused with a
//! message that names the field and its choices in words.
//! Invariant: every key has words in both languages, and reads back from its key.

use super::msg::Msg;
use super::rules::string_enum;

/// A vocabulary of the sampling form: the words of its field and of each key.
pub trait Vocabulary: Sized + Copy + 'static {
    /// The field's name in Chinese and English (包装分类, Packaging).
    const FIELD: (&'static str, &'static str);
    /// Every value, in the order a form offers them.
    fn all() -> &'static [Self];
    /// The key stored and sent by the API.
    fn key(self) -> &'static str;
    /// The value's word in Chinese, as the form prints it.
    fn label_zh(self) -> &'static str;
    /// The value's word in English.
    fn label_en(self) -> &'static str;
}

/// Reads a key (trimmed); an unknown one gives the message that names the field and
/// lists the choices in words, each with its key for clients of the API.
pub fn parse_vocab<T: Vocabulary>(key: &str) -> Result<T, Msg> {
    let key = key.trim();
    if let Some(v) = T::all().iter().find(|v| v.key() == key) {
        return Ok(*v);
    }
    let zh: Vec<String> = T::all()
        .iter()
        .map(|v| format!("{}（{}）", v.label_zh(), v.key()))
        .collect();
    let en: Vec<String> = T::all()
        .iter()
        .map(|v| format!("{} ({})", v.label_en(), v.key()))
        .collect();
    Err(Msg::new(
        format!("{}应为以下之一：{}", T::FIELD.0, zh.join("、")),
        format!("{} must be one of: {}", T::FIELD.1, en.join(", ")),
    ))
}

macro_rules! vocabulary {
    ($(#[$m:meta])* $name:ident ($fzh:literal, $fen:literal) {
        $($variant:ident = $s:literal => ($zh:literal, $en:literal)),+ $(,)?
    }) => {
        string_enum!($(#[$m])* $name { $($variant = $s),+ });

        impl Vocabulary for $name {
            const FIELD: (&'static str, &'static str) = ($fzh, $fen);
            fn all() -> &'static [Self] {
                $name::ALL
            }
            fn key(self) -> &'static str {
                self.as_str()
            }
            fn label_zh(self) -> &'static str {
                match self {
                    $($name::$variant => $zh),+
                }
            }
            fn label_en(self) -> &'static str {
                match self {
                    $($name::$variant => $en),+
                }
            }
        }
    };
}

vocabulary!(
    /// 包装分类: sold loose or pre-packaged.
    Packaging ("包装分类", "Packaging") {
        Bulk = "bulk" => ("散装", "Bulk"),
        Prepackaged = "prepackaged" => ("预包装", "Pre-packaged"),
    }
);

vocabulary!(
    /// 样品形态: the physical form of the sample.
    PhysicalForm ("样品形态", "Physical form") {
        Solid = "solid" => ("固体", "Solid"),
        SemiSolid = "semi_solid" => ("半固体", "Semi-solid"),
        Liquid = "liquid" => ("液体", "Liquid"),
        Gas = "gas" => ("气体", "Gas"),
    }
);

vocabulary!(
    /// 样品来源: where the sampled party got the product.
    SampleSource ("样品来源", "Sample source") {
        Produced = "produced" => ("加工/自制", "Produced in-house"),
        Commissioned = "commissioned" => ("委托生产", "Contract-manufactured"),
        Purchased = "purchased" => ("外购", "Purchased"),
        Other = "other" => ("其他", "Other"),
    }
);

vocabulary!(
    /// 抽样方式: whether the sample was taken aseptically.
    SamplingMethod ("抽样方式", "Sampling method") {
        Aseptic = "aseptic" => ("无菌抽样", "Aseptic sampling"),
        NonAseptic = "non_aseptic" => ("非无菌抽样", "Non-aseptic sampling"),
    }
);

vocabulary!(
    /// 区域类型: the kind of area the sampling place lies in.
    AreaType ("区域类型", "Area type") {
        Urban = "urban" => ("城市", "Urban"),
        Rural = "rural" => ("乡村", "Rural"),
        Scenic = "scenic" => ("景点", "Scenic area"),
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Vocabulary + PartialEq + std::fmt::Debug>() {
        for v in T::all() {
            assert_eq!(parse_vocab::<T>(v.key()), Ok(*v));
            assert!(!v.label_zh().is_empty() && !v.label_en().is_empty());
            assert_ne!(v.label_zh(), v.key(), "a person never sees a key");
        }
    }

    #[test]
    fn every_key_reads_back_and_has_words_in_both_languages() {
        round_trip::<Packaging>();
        round_trip::<PhysicalForm>();
        round_trip::<SampleSource>();
        round_trip::<SamplingMethod>();
        round_trip::<AreaType>();
        assert_eq!(parse_vocab::<Packaging>(" bulk "), Ok(Packaging::Bulk));
    }

    #[test]
    fn an_unknown_key_names_the_field_and_its_choices_in_words() {
        let m = parse_vocab::<Packaging>("散装").unwrap_err();
        assert_eq!(
            m.zh,
            "包装分类应为以下之一：散装（bulk）、预包装（prepackaged）"
        );
        assert_eq!(
            m.en,
            "Packaging must be one of: Bulk (bulk), Pre-packaged (prepackaged)"
        );
        let m = parse_vocab::<AreaType>("").unwrap_err();
        assert!(
            m.zh.starts_with("区域类型") && m.zh.contains("景点"),
            "{m:?}"
        );
    }
}
