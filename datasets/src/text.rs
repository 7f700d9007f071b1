//! Text that looks like a Nordic dating site: nicknames, cities, "about me"
//! texts, flirt notes, subjects and message bodies of realistic length (many
//! short lines, a tail of letters to the column's limit) in Finnish, Swedish
//! and English with emoji, and the addresses members wrote from.

use crate::rng::Rng;
use std::sync::LazyLock;

mod vocab;

/// SQL Server's `nvarchar(2000)` counts UTF-16 code units.
pub const MAX_BODY_UNITS: usize = 2000;

const SYLLABLES: &[&str] = &[
    "ka", "li", "mi", "sa", "tu", "ve", "jo", "an", "na", "ri", "el", "ja", "ää", "ke", "lo", "ö",
    "su", "pe", "ni", "ta", "hå", "ma", "in", "ol", "ek", "ti", "ro", "vä", "la", "ny",
];

const NICK_EMOJI: &[&str] = &["🌸", "🔥", "✨", "🌙", "💫"];

pub const CITIES: &[&str] = &[
    "Helsinki",
    "Espoo",
    "Tampere",
    "Vantaa",
    "Oulu",
    "Turku",
    "Jyväskylä",
    "Lahti",
    "Kuopio",
    "Pori",
    "Seinäjoki",
    "Hämeenlinna",
    "Rovaniemi",
    "Stockholm",
    "Göteborg",
    "Malmö",
    "Uppsala",
    "Västerås",
    "Örebro",
    "Linköping",
    "Umeå",
    "Luleå",
    "Gävle",
    "Jönköping",
];

const DOMAINS: &[&str] = &["example.fi", "example.se", "mail.example", "posti.example"];

/// A nickname: syllables, sometimes digits, rarely an emoji. At most 50
/// UTF-16 units (`nvarchar(50)`).
pub fn nickname(rng: &mut Rng) -> String {
    let mut name = String::new();
    let syllables = 2 + rng.below(3);
    for i in 0..syllables {
        let s = rng.pick(SYLLABLES);
        if i == 0 {
            let mut chars = s.chars();
            if let Some(first) = chars.next() {
                name.extend(first.to_uppercase());
                name.push_str(chars.as_str());
            }
        } else {
            name.push_str(s);
        }
    }
    if rng.chance(0.4) {
        name.push_str(&rng.between(1, 99).to_string());
    }
    if rng.chance(0.03) {
        name.push_str(rng.pick::<&str>(NICK_EMOJI));
    }
    name
}

/// An e-mail address unique to the member.
pub fn email(rng: &mut Rng, nickname: &str, member_id: i64) -> String {
    let local: String = nickname
        .chars()
        .filter_map(|c| match c {
            'ä' | 'Ä' | 'å' | 'Å' => Some('a'),
            'ö' | 'Ö' => Some('o'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    format!("{local}.{member_id}@{}", rng.pick(DOMAINS))
}

/// One language's words and phrases, split from [`vocab`].
struct Lang {
    words: Vec<&'static str>,
    openers: Vec<&'static str>,
    replies: Vec<&'static str>,
    questions: Vec<&'static str>,
    about: Vec<&'static str>,
    subjects: Vec<&'static str>,
    notes: Vec<&'static str>,
}

fn words(list: &'static str) -> Vec<&'static str> {
    list.split_whitespace().collect()
}

fn phrases(list: &'static str) -> Vec<&'static str> {
    list.split('|').map(str::trim).collect()
}

static LANGS: LazyLock<[Lang; 3]> = LazyLock::new(|| {
    use vocab::*;
    [
        Lang {
            words: words(FI_WORDS),
            openers: phrases(FI_OPENERS),
            replies: phrases(FI_REPLIES),
            questions: phrases(FI_QUESTIONS),
            about: phrases(FI_ABOUT),
            subjects: phrases(FI_SUBJECTS),
            notes: phrases(FI_NOTES),
        },
        Lang {
            words: words(SV_WORDS),
            openers: phrases(SV_OPENERS),
            replies: phrases(SV_REPLIES),
            questions: phrases(SV_QUESTIONS),
            about: phrases(SV_ABOUT),
            subjects: phrases(SV_SUBJECTS),
            notes: phrases(SV_NOTES),
        },
        Lang {
            words: words(EN_WORDS),
            openers: phrases(EN_OPENERS),
            replies: phrases(EN_REPLIES),
            questions: phrases(EN_QUESTIONS),
            about: phrases(EN_ABOUT),
            subjects: phrases(EN_SUBJECTS),
            notes: phrases(EN_NOTES),
        },
    ]
});

static EMOJI: LazyLock<Vec<&'static str>> = LazyLock::new(|| words(vocab::EMOJI));

/// The language of one text: Finnish most, then Swedish, then English.
fn lang(rng: &mut Rng) -> &'static Lang {
    let i = match rng.below(100) {
        0..=59 => 0,
        60..=84 => 1,
        _ => 2,
    };
    &LANGS[i]
}

/// Any item of a list, all as likely.
fn any(rng: &mut Rng, items: &[&'static str]) -> &'static str {
    items[rng.below(items.len() as u64) as usize]
}

/// An item of a list ordered by frequency: the first ones most often.
fn common(rng: &mut Rng, items: &[&'static str]) -> &'static str {
    let u = rng.unit();
    items[((items.len() as f64) * u * u) as usize]
}

fn units(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    }
}

/// A log-normal length in units.
fn lognormal(rng: &mut Rng, median: f64, sigma: f64) -> usize {
    rng.lognormal(median, sigma) as usize
}

/// Text growing up to a limit in UTF-16 units; what does not fit is cut off
/// at the limit, as the column cut it.
struct Writer {
    text: String,
    units: usize,
    limit: usize,
    full: bool,
}

impl Writer {
    /// A writer for about `target` units (what it reserves).
    fn new(target: usize, limit: usize) -> Writer {
        Writer {
            text: String::with_capacity(target.min(limit) + target.min(limit) / 4 + 64),
            units: 0,
            limit,
            full: false,
        }
    }

    fn push(&mut self, s: &str) {
        if self.full {
            return;
        }
        let n = units(s);
        if self.units + n <= self.limit {
            self.text.push_str(s);
            self.units += n;
            return;
        }
        for c in s.chars() {
            if self.units + c.len_utf16() > self.limit {
                break;
            }
            self.text.push(c);
            self.units += c.len_utf16();
        }
        self.full = true;
    }

    /// `s` with its first letter in upper case, as a sentence starts.
    fn push_capitalized(&mut self, s: &str) {
        let mut chars = s.chars();
        match chars.next() {
            Some(first) if first.is_lowercase() => {
                let mut upper = [0u8; 8];
                let mut first_upper = String::new();
                for c in first.to_uppercase() {
                    first_upper.push_str(c.encode_utf8(&mut upper));
                }
                self.push(&first_upper);
                self.push(chars.as_str());
            }
            _ => self.push(s),
        }
    }

    fn finish(mut self) -> String {
        let trimmed = self.text.trim_end().len();
        self.text.truncate(trimmed);
        self.text
    }
}

/// One word-like token of running text: mostly words, sometimes a number, a
/// time, a city or an emoji.
///
/// One draw decides the common case (the separator before it, what it is,
/// which word), as this is where the generator spends its time: 7 bits pick
/// the kind of token, 8 bits the separator, 32 bits the word.
fn token(rng: &mut Rng, lang: &Lang, w: &mut Writer, first: bool, separator: bool) {
    let x = rng.next_u64();
    if separator {
        w.push(if (x >> 32) & 0xff < 18 { ", " } else { " " });
    }
    match x >> 57 {
        0..=2 => w.push(&rng.between(2, 60).to_string()),
        3 => w.push(&format!("{}.{:02}", rng.between(7, 23), rng.below(4) * 15)),
        4 => w.push(any(rng, CITIES)),
        5..=7 if !first => w.push(common(rng, &EMOJI)),
        _ => {
            let u = (x & 0xffff_ffff) as f64 * (1.0 / 4_294_967_296.0);
            let words = &lang.words;
            let word = words[((words.len() as f64) * u * u) as usize];
            if first {
                w.push_capitalized(word);
            } else {
                w.push(word);
            }
        }
    }
}

/// A sentence of a few words (at most `max_words`, at least two),
/// capitalized and ended.
fn sentence(rng: &mut Rng, lang: &Lang, w: &mut Writer, start: Option<&str>, max_words: u64) {
    let n = (2 + rng.below(6) + rng.below(7)).min(max_words.max(2));
    let first = match start {
        Some(start) => {
            w.push(start);
            false
        }
        None => true,
    };
    for i in 0..n {
        token(rng, lang, w, i == 0 && first, i > 0 || !first);
    }
    w.push(match rng.below(20) {
        0..=8 => ".",
        9..=12 => "!",
        13..=14 => "?",
        15..=16 => "...",
        17 => "!!",
        _ => "",
    });
    if rng.chance(0.1) {
        w.push(" ");
        w.push(common(rng, &EMOJI));
    }
}

/// About how many more words make `target` units: words and their spaces
/// are about seven units.
fn words_left(w: &Writer, target: usize) -> u64 {
    (target.saturating_sub(w.units) / 7) as u64 + 1
}

/// Running text of about `target` units (whole sentences, so a little
/// more), cut at `limit`: a reply for the shortest, else sentences with an
/// opener and questions, in paragraphs when long.
fn running_text(rng: &mut Rng, lang: &Lang, target: usize, limit: usize, about: bool) -> String {
    let mut w = Writer::new(target, limit);
    if target <= 12 && !about {
        w.push(any(rng, &lang.replies));
        return w.finish();
    }
    if !about && rng.chance(0.4) {
        w.push(any(rng, &lang.openers));
        w.push(" ");
    }
    while w.units < target && !w.full {
        let r = rng.below(10);
        if r == 0 {
            w.push(any(rng, &lang.questions));
        } else if about && r < 5 {
            let start = common(rng, &lang.about);
            let max_words = words_left(&w, target);
            sentence(rng, lang, &mut w, Some(start), max_words);
        } else {
            let max_words = words_left(&w, target);
            sentence(rng, lang, &mut w, None, max_words);
        }
        w.push(if target > 300 && rng.chance(0.15) {
            "\n\n"
        } else {
            " "
        });
    }
    w.finish()
}

/// How long a message body is meant to be, in UTF-16 units: many one-line
/// replies, lines of chat, and letters, a few of them cut at the column's
/// limit.
fn body_length(rng: &mut Rng) -> usize {
    match rng.below(100) {
        0..=40 => lognormal(rng, 20.0, 0.6),
        41..=64 => lognormal(rng, 180.0, 0.6),
        _ => lognormal(rng, 900.0, 0.55),
    }
}

/// A message body of at most [`MAX_BODY_UNITS`] UTF-16 units.
pub fn body(rng: &mut Rng) -> String {
    let target = body_length(rng);
    let lang = lang(rng);
    running_text(rng, lang, target, MAX_BODY_UNITS, false)
}

/// A member's "about me", up to 2000 units: most a few lines, some long.
pub fn profile_text(rng: &mut Rng) -> String {
    let target = lognormal(rng, 118.0, 1.0).max(15);
    let lang = lang(rng);
    running_text(rng, lang, target, MAX_BODY_UNITS, true)
}

/// `nvarchar(200)`: a flirt's note and a message's subject.
pub const MAX_LINE_UNITS: usize = 200;

/// The line sent with a flirt: the form's ready-made phrase and a sentence
/// or a few of the member's own, cut at the form's 200 units.
pub fn flirt_note(rng: &mut Rng) -> String {
    let lang = lang(rng);
    let mut w = Writer::new(MAX_LINE_UNITS, MAX_LINE_UNITS);
    w.push(any(rng, &lang.notes));
    let more = 1 + rng.below(4);
    for _ in 0..more {
        w.push(" ");
        if rng.chance(0.3) {
            w.push(any(rng, &lang.questions));
        } else {
            sentence(rng, lang, &mut w, None, u64::MAX);
        }
    }
    w.finish()
}

/// A message subject: a set phrase, often a reply's "Re: ...".
pub fn subject(rng: &mut Rng) -> String {
    let lang = lang(rng);
    let mut w = Writer::new(MAX_LINE_UNITS, MAX_LINE_UNITS);
    match rng.below(10) {
        0..=3 => {}
        4..=7 => w.push("Re: "),
        8 => w.push("Re: Re: "),
        _ => w.push("RE: "),
    }
    w.push(any(rng, &lang.subjects));
    if rng.chance(0.2) {
        w.push(" ");
        w.push(common(rng, &EMOJI));
    }
    w.finish()
}

/// Internet providers' address blocks in the Nordics: IPv4 /16s and IPv6
/// /32s.
const IPV4_BLOCKS: &[&str] = &[
    "84.248", "91.152", "188.238", "85.76", "62.78", "193.166", "80.220", "87.92", "83.150",
    "176.72", "94.22", "213.216", "81.227", "90.224", "78.27", "46.132", "82.181", "37.33",
];
const IPV6_BLOCKS: &[&str] = &[
    "2001:14ba",
    "2a00:1d50",
    "2001:998",
    "2a02:aa1",
    "2001:2042",
    "2a01:79c",
    "2a00:801",
];

/// An address as the site logged it: IPv4 mostly, IPv6 for `ipv6` of them.
pub fn ip_address(rng: &mut Rng, ipv6: f64) -> String {
    if rng.chance(ipv6) {
        let block = rng.pick(IPV6_BLOCKS);
        let g = rng.next_u64();
        let h = rng.next_u64();
        format!(
            "{block}:{:x}:{:x}:{:x}:{:x}:{:x}:{:x}",
            g & 0xffff,
            (g >> 16) & 0xffff,
            (g >> 32) & 0xffff,
            h & 0xffff,
            (h >> 16) & 0xffff,
            (h >> 32) & 0xffff
        )
    } else {
        let block = rng.pick(IPV4_BLOCKS);
        format!("{block}.{}.{}", rng.below(256), rng.between(1, 254))
    }
}

/// Puts a lone UTF-16 surrogate into `text`, as a broken client once stored
/// it. Returns the text with U+FFFD in its place (what a Rust string can
/// hold) and the exact UTF-16 units, little-endian.
pub fn with_lone_surrogate(rng: &mut Rng, text: &str) -> (String, Vec<u8>) {
    let mut units: Vec<u16> = text.encode_utf16().collect();
    // A high surrogate with no low one after it, or a low one alone.
    let lone = if rng.chance(0.5) { 0xd83d } else { 0xde00 };
    // Insert between two units that are not a pair, keeping the length limit.
    let mut at = rng.below(units.len() as u64 + 1) as usize;
    while at > 0 && at < units.len() && (0xdc00..0xe000).contains(&units[at]) {
        at -= 1;
    }
    if units.len() >= MAX_BODY_UNITS {
        units.truncate(MAX_BODY_UNITS - 1);
        if units.last().is_some_and(|u| (0xd800..0xdc00).contains(u)) {
            units.pop();
        }
        at = at.min(units.len());
    }
    units.insert(at, lone);
    let repaired = String::from_utf16_lossy(&units);
    let raw = units.iter().flat_map(|u| u.to_le_bytes()).collect();
    (repaired, raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_respect_the_column_limit_and_carry_non_ascii() {
        let mut rng = Rng::new(1, 1, 1);
        let mut longest = 0;
        let mut emoji = 0;
        for _ in 0..20_000 {
            let b = body(&mut rng);
            let units = b.encode_utf16().count();
            assert!(units <= MAX_BODY_UNITS, "{units}");
            longest = longest.max(units);
            emoji += usize::from(b.chars().any(|c| c as u32 > 0xffff));
        }
        assert_eq!(longest, MAX_BODY_UNITS);
        assert!(emoji > 1_000);
    }

    #[test]
    fn a_lone_surrogate_is_kept_raw_and_repaired_in_the_string() {
        let mut rng = Rng::new(3, 3, 3);
        for _ in 0..1_000 {
            let text = body(&mut rng);
            let (repaired, raw) = with_lone_surrogate(&mut rng, &text);
            let units: Vec<u16> = raw
                .chunks(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            assert!(units.len() <= MAX_BODY_UNITS);
            assert!(
                String::from_utf16(&units).is_err(),
                "must be invalid UTF-16"
            );
            assert_eq!(String::from_utf16_lossy(&units), repaired);
            assert!(repaired.contains('\u{fffd}'));
        }
    }

    #[test]
    fn lines_and_profile_texts_fit_their_columns_and_addresses_parse() {
        let mut rng = Rng::new(4, 4, 4);
        let mut longest_profile = 0;
        for _ in 0..5_000 {
            for line in [flirt_note(&mut rng), subject(&mut rng)] {
                assert!((1..=MAX_LINE_UNITS).contains(&units(&line)), "{line}");
                assert_eq!(line.trim_end(), line);
            }
            let profile = units(&profile_text(&mut rng));
            assert!((1..=MAX_BODY_UNITS).contains(&profile));
            longest_profile = longest_profile.max(profile);
            let ip = ip_address(&mut rng, 0.5);
            assert!(ip.parse::<std::net::IpAddr>().is_ok(), "{ip}");
        }
        assert!(longest_profile > 1_000, "{longest_profile}");
    }

    #[test]
    fn nicknames_fit_their_column() {
        let mut rng = Rng::new(2, 2, 2);
        for _ in 0..10_000 {
            let n = nickname(&mut rng);
            assert!(n.encode_utf16().count() <= 50);
            assert!(!n.is_empty());
        }
    }
}
