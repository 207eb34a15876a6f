//! Rollout arithmetic: the batch sizes a `serial` setting gives for a number of targets, and
//! whether a batch's failures stop the run.

/// Split `total` targets into batch sizes. `serial` is a count, a percentage (`"25%"`) or a
/// list of them whose last entry repeats; percentages round up and a batch holds at least one
/// target. No `serial`: one batch with everything.
pub fn batch_sizes(total: usize, serial: Option<&serde_json::Value>) -> Vec<usize> {
    let entries: Vec<&serde_json::Value> = match serial {
        None => return if total == 0 { Vec::new() } else { vec![total] },
        Some(serde_json::Value::Array(list)) if !list.is_empty() => list.iter().collect(),
        Some(serde_json::Value::Array(_)) => return vec![total],
        Some(one) => vec![one],
    };
    let size_of = |entry: &serde_json::Value| -> usize {
        match entry {
            serde_json::Value::Number(n) => n.as_u64().map_or(total, |n| n as usize),
            serde_json::Value::String(s) => match s.strip_suffix('%').map(str::parse::<usize>) {
                Some(Ok(percent)) => (total * percent).div_ceil(100),
                _ => total,
            },
            _ => total,
        }
        .max(1)
    };
    let mut sizes = Vec::new();
    let mut left = total;
    let mut index = 0;
    while left > 0 {
        let entry = entries[index.min(entries.len() - 1)];
        let size = size_of(entry).min(left);
        sizes.push(size);
        left -= size;
        index += 1;
    }
    sizes
}

/// True when `failed` of `size` exceeds `max_fail_percentage` (None: never stop).
pub fn exceeds(failed: usize, size: usize, max_fail_percentage: Option<u32>) -> bool {
    match max_fail_percentage {
        None => false,
        Some(percent) => size > 0 && failed * 100 > percent as usize * size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn batches_follow_serial_and_the_last_entry_repeats() {
        assert_eq!(batch_sizes(5, None), vec![5]);
        assert_eq!(batch_sizes(0, None), Vec::<usize>::new());
        assert_eq!(batch_sizes(5, Some(&json!(2))), vec![2, 2, 1]);
        assert_eq!(batch_sizes(3, Some(&json!([1, "100%"]))), vec![1, 2]);
        assert_eq!(batch_sizes(10, Some(&json!("25%"))), vec![3, 3, 3, 1]);
        assert_eq!(batch_sizes(4, Some(&json!([1, 2]))), vec![1, 2, 1]);
        assert_eq!(batch_sizes(1, Some(&json!("1%"))), vec![1]);
    }

    #[test]
    fn failure_threshold() {
        assert!(!exceeds(1, 3, None));
        assert!(exceeds(1, 3, Some(0)));
        assert!(!exceeds(1, 3, Some(34)));
        assert!(exceeds(2, 3, Some(34)));
        assert!(!exceeds(0, 3, Some(0)));
    }
}
