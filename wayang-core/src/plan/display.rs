//! A plan as indented text, one operator per line.

use std::fmt;

use super::WayangPlan;

impl fmt::Display for WayangPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for node in self.nodes() {
            write!(f, "{}", node.label())?;
            if !node.inputs.is_empty() {
                let inputs: Vec<String> = node
                    .inputs
                    .iter()
                    .map(|i| format!("#{}", i.node.0))
                    .collect();
                write!(f, " <- {}", inputs.join(", "))?;
            }
            if let Some(output) = node.operator.output_type() {
                write!(f, " : {}", output.name())?;
            }
            if let Some(platform) = &node.platform {
                write!(f, " on {platform}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
