//! Last-line defence for text that comes from outside (provider messages): any run of 12 to
//! 19 digits, possibly broken by spaces or dashes, is masked, so a provider that echoes a card
//! number cannot carry it into payorch's logs, errors or API answers.

/// `text` with every card-number-like run of digits replaced by `[REDACTED]`.
pub fn scrub_card_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            // Extend over digits and single separators between digits.
            let mut j = i;
            let mut digits = 0;
            while j < chars.len() {
                if chars[j].is_ascii_digit() {
                    digits += 1;
                    j += 1;
                } else if matches!(chars[j], ' ' | '-')
                    && j + 1 < chars.len()
                    && chars[j + 1].is_ascii_digit()
                {
                    j += 1;
                } else {
                    break;
                }
            }
            if (12..=19).contains(&digits) {
                out.push_str("[REDACTED]");
            } else {
                out.extend(&chars[i..j]);
            }
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_are_masked_in_any_spelling() {
        for text in [
            "invalid card 5085000000000015",
            "card 5085 0000 0000 0015 refused",
            "pan=5085-0000-0000-0015",
        ] {
            let scrubbed = scrub_card_numbers(text);
            assert!(!scrubbed.contains("0015"), "{scrubbed}");
            assert!(scrubbed.contains("[REDACTED]"), "{scrubbed}");
        }
    }

    #[test]
    fn ordinary_numbers_survive() {
        let text = "code 450, amount 10000, id 7000000000, date 2026-11-22";
        assert_eq!(scrub_card_numbers(text), text);
    }
}
