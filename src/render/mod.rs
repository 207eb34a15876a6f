//! Rendering: an asset's context in, its intended device configuration out, through Tera 2
//! templates.
//!
//! This module owns the template folder (loading, checking every file in one pass), strict
//! rendering (an undefined variable is an error naming the template line and the asset; markup
//! left in the output is an error), and the network filters templates use. It knows nothing of
//! inventories, drivers or SSH: callers build the JSON context and push the text.
//!
//! - [`set`]: [`TemplateSet`], load and render.
//! - [`filters`]: `netmask`, `wildcard`, `prefix_len`, `network`, `broadcast`, `nth_host`,
//!   `ip_in`, `ip_address`, `with_prefix`, `ipv6_compress`, `ipv6_explode`, `mac`.
//! - `report` (private): Tera errors to [`Diagnostic`](crate::diag::Diagnostic)s.
//!
//! Diagnostic codes: `render.template-read`, `render.template-syntax`,
//! `render.template-invalid`, `render.undefined-variable`, `render.failed`,
//! `render.leftover-markup`.

pub mod filters;
mod report;
pub mod set;

pub use filters::FilterError;
pub use set::TemplateSet;

/// Check that `expression` is a valid Tera expression (a playbook step's `when`), with our
/// filters known, without evaluating it. The error is Tera's message.
pub fn check_expression(expression: &str) -> Result<(), String> {
    let mut tera = tera::Tera::new();
    filters::register(&mut tera);
    tera.add_raw_template("when", &format!("{{% if {expression} %}}{{% endif %}}"))
        .map_err(|error| {
            let text = error.to_string();
            text.lines().next().unwrap_or(&text).to_string()
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn expressions_are_checked_without_a_context() {
        assert!(super::check_expression("vars.poe == true").is_ok());
        assert!(super::check_expression("asset.address is ip_in(prefix=\"10.0.0.0/8\")").is_ok());
        assert!(super::check_expression("vars.poe == = true").is_err());
        assert!(super::check_expression("x | no_such_filter").is_err());
    }
}
