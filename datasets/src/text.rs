//! Text that looks like a Nordic dating site: nicknames, cities, and message
//! bodies of realistic length with emoji and non-ASCII letters.

use crate::rng::Rng;

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

const WORDS: &[&str] = &[
    "hei",
    "moi",
    "kiitos",
    "kiva",
    "nähdään",
    "tänään",
    "huomenna",
    "kahvi",
    "elokuva",
    "lenkki",
    "järvi",
    "mökki",
    "sauna",
    "kesä",
    "talvi",
    "hej",
    "tack",
    "fika",
    "träffas",
    "ikväll",
    "helgen",
    "skärgården",
    "vad",
    "gör",
    "du",
    "hi",
    "how",
    "are",
    "you",
    "nice",
    "profile",
    "photo",
    "coffee",
    "weekend",
    "walk",
    "dinner",
    "maybe",
    "really",
    "I",
    "would",
    "love",
    "to",
    "meet",
    "and",
    "the",
    "a",
    "ja",
    "och",
    "sinä",
    "minä",
    "me",
    "haluaisitko",
    "lähteä",
    "konserttiin",
    "perjantaina",
    "😀",
    "😍",
    "❤️",
    "🌹",
    "😉",
    "🥂",
    "✨",
    "☕",
    "🙂",
    "😂",
];

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

/// How long a message body is, in UTF-16 units: most are a line or two, some
/// are letters, a few hit the column's limit.
fn body_length(rng: &mut Rng) -> usize {
    let u = rng.unit();
    if u < 0.005 {
        MAX_BODY_UNITS
    } else if u < 0.04 {
        rng.between(400, MAX_BODY_UNITS as i64) as usize
    } else {
        // Exponential around a mean of about 90 units.
        let x = -90.0 * (1.0 - rng.unit()).ln();
        (x as usize).clamp(2, MAX_BODY_UNITS)
    }
}

/// A message body of at most [`MAX_BODY_UNITS`] UTF-16 units.
pub fn body(rng: &mut Rng) -> String {
    let target = body_length(rng);
    let mut text = String::with_capacity(target + 8);
    let mut units = 0;
    while units < target {
        let word = *rng.pick(WORDS);
        let sep = if units == 0 { "" } else { " " };
        let need = sep.len() + word.encode_utf16().count();
        if units + need > target {
            // End on the start of the word, so the length is exact.
            text.push_str(sep);
            units += sep.len();
            for c in word.chars() {
                let len = c.len_utf16();
                if units + len > target {
                    break;
                }
                text.push(c);
                units += len;
            }
            // A lone emoji half cannot be; pad with a letter if still short.
            while units < target {
                text.push('a');
                units += 1;
            }
            break;
        }
        text.push_str(sep);
        text.push_str(word);
        units += need;
    }
    text
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
    fn nicknames_fit_their_column() {
        let mut rng = Rng::new(2, 2, 2);
        for _ in 0..10_000 {
            let n = nickname(&mut rng);
            assert!(n.encode_utf16().count() <= 50);
            assert!(!n.is_empty());
        }
    }
}
