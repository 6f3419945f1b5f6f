//! Choosing one platform per operator with the least total cost: operator
//! costs, conversions between platforms' channels, and platform start-ups.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::cost::CostModel;
use super::placement::{Candidate, PlatformChooser};
use super::Estimate;
use crate::channels::{find_path, ChannelConversion, ChannelKind};
use crate::error::{Error, Result};
use crate::plan::WayangPlan;
use crate::platform::Platform;

/// What a chooser may use besides the plan and the candidates.
pub struct Planning<'a> {
    /// The conversions available in the context.
    pub conversions: &'a [ChannelConversion],
    /// Every node's cardinality estimate (indexed like `plan.nodes()`).
    pub estimates: &'a [Estimate],
}

/// Plans with at most this many assignments are searched exhaustively.
const EXHAUSTIVE_LIMIT: usize = 1 << 12;

/// The cost-based chooser: exhaustive search for small plans; for larger
/// ones, dynamic programming over the DAG (each operator's cheapest platform
/// given its inputs' best choices) checked against every single-platform plan.
pub struct CostBasedChooser {
    model: Arc<dyn CostModel>,
}

/// A conversion path's key: whose records, from which kind, to which kinds.
type PathKey = (usize, ChannelKind, Vec<ChannelKind>);

/// Everything an assignment's cost is made of, computed once per planning:
/// the search then only adds numbers up.
struct Tables<'a> {
    candidates: &'a [Vec<Candidate>],
    conversions: &'a [ChannelConversion],
    model: &'a dyn CostModel,
    /// `operator[i][c]`: node i on candidate c.
    operator: Vec<Vec<f64>>,
    /// Per node: its consumers as (node index, input slot).
    consumers: Vec<Vec<(usize, usize)>>,
    /// Per node: its inputs' node indices, by slot.
    inputs: Vec<Vec<usize>>,
    /// Per node: the records its output carries.
    records: Vec<f64>,
    /// Conversion costs by (records' node, from kind, accepted kinds):
    /// the cost and the kind reached, or `None` where no path exists.
    paths: RefCell<HashMap<PathKey, Option<(f64, ChannelKind)>>>,
    startup: HashMap<Platform, f64>,
}

impl<'a> Tables<'a> {
    fn new(
        model: &'a dyn CostModel,
        plan: &WayangPlan,
        candidates: &'a [Vec<Candidate>],
        planning: &Planning<'a>,
    ) -> Self {
        let position: HashMap<_, _> = plan
            .nodes()
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id, i))
            .collect();
        let inputs: Vec<Vec<usize>> = plan
            .nodes()
            .iter()
            .map(|n| {
                n.inputs
                    .iter()
                    .filter_map(|input| position.get(&input.node).copied())
                    .collect()
            })
            .collect();
        let mut consumers = vec![Vec::new(); candidates.len()];
        for (k, node_inputs) in inputs.iter().enumerate() {
            for (slot, &i) in node_inputs.iter().enumerate() {
                consumers[i].push((k, slot));
            }
        }
        let operator = plan
            .nodes()
            .iter()
            .enumerate()
            .map(|(i, node)| {
                let estimates: Vec<Estimate> =
                    inputs[i].iter().map(|&k| planning.estimates[k]).collect();
                candidates[i]
                    .iter()
                    .map(|c| model.operator(c.platform, node, &estimates, planning.estimates[i]))
                    .collect()
            })
            .collect();
        let startup = candidates
            .iter()
            .flatten()
            .map(|c| (c.platform, model.startup(c.platform)))
            .collect();
        Tables {
            candidates,
            conversions: planning.conversions,
            model,
            operator,
            consumers,
            inputs,
            records: planning.estimates.iter().map(Estimate::expected).collect(),
            paths: RefCell::new(HashMap::new()),
            startup,
        }
    }

    /// The cost of converting node `i`'s output from `from` to a kind in
    /// `accepted`, and the kind reached.
    fn path(
        &self,
        i: usize,
        from: ChannelKind,
        accepted: &[ChannelKind],
    ) -> Option<(f64, ChannelKind)> {
        let key = (i, from, accepted.to_vec());
        if let Some(found) = self.paths.borrow().get(&key) {
            return *found;
        }
        let found = find_path(self.conversions, from, |k| accepted.contains(&k)).map(|path| {
            let cost = path
                .iter()
                .map(|c| self.model.conversion(c, self.records[i]))
                .sum();
            (cost, path.last().map_or(from, |c| c.to))
        });
        self.paths.borrow_mut().insert(key, found);
        found
    }

    fn reusable(&self, i: usize, from: ChannelKind) -> Option<(f64, ChannelKind)> {
        let reusable: Vec<ChannelKind> = self
            .conversions
            .iter()
            .map(|c| c.to)
            .filter(|k| k.is_reusable())
            .collect();
        self.path(i, from, &reusable)
    }

    /// The total cost of an assignment (infinite where a channel cannot be
    /// converted).
    fn total(&self, picks: &[usize]) -> f64 {
        let mut total = 0.0;
        let mut platforms: Vec<Platform> = Vec::new();
        for (i, &pick) in picks.iter().enumerate() {
            let candidate = &self.candidates[i][pick];
            if !platforms.contains(&candidate.platform) {
                platforms.push(candidate.platform);
            }
            total += self.operator[i][pick];
            let Some(kind) = candidate.operator.output_channel() else {
                continue;
            };
            let mut source_kind = kind;
            if self.consumers[i].len() > 1 && !kind.is_reusable() {
                match self.reusable(i, kind) {
                    Some((cost, reached)) => {
                        total += cost;
                        source_kind = reached;
                    }
                    None => return f64::INFINITY,
                }
            }
            for &(k, slot) in &self.consumers[i] {
                let accepted = self.candidates[k][picks[k]].operator.input_channels(slot);
                match self.path(i, source_kind, accepted) {
                    Some((cost, _)) => total += cost,
                    None => return f64::INFINITY,
                }
            }
        }
        total
            + platforms
                .iter()
                .map(|p| self.startup.get(p).copied().unwrap_or(0.0))
                .sum::<f64>()
    }
}

impl CostBasedChooser {
    /// A chooser using `model`.
    pub fn new(model: Arc<dyn CostModel>) -> Self {
        CostBasedChooser { model }
    }

    /// The total estimated cost of an assignment (infinite if some channel
    /// cannot be converted).
    pub fn total_cost(
        &self,
        plan: &WayangPlan,
        candidates: &[Vec<Candidate>],
        picks: &[usize],
        planning: &Planning<'_>,
    ) -> f64 {
        Tables::new(self.model.as_ref(), plan, candidates, planning).total(picks)
    }
}

fn exhaustive(tables: &Tables<'_>) -> Vec<usize> {
    let candidates = tables.candidates;
    let mut picks = vec![0; candidates.len()];
    let mut best = (f64::INFINITY, picks.clone());
    loop {
        let cost = tables.total(&picks);
        if cost < best.0 {
            best = (cost, picks.clone());
        }
        // The next assignment, as an odometer.
        let mut position = 0;
        loop {
            if position == picks.len() {
                return best.1;
            }
            picks[position] += 1;
            if picks[position] < candidates[position].len() {
                break;
            }
            picks[position] = 0;
            position += 1;
        }
    }
}

/// One candidate's best cost in the dynamic programme, with the candidate it
/// chose for each input (node index, candidate index).
type BestChoice = (f64, Vec<(usize, usize)>);

fn dynamic(tables: &Tables<'_>) -> Vec<usize> {
    let candidates = tables.candidates;
    // best[i][c]: the cheapest cost of node i's inputs (recursively) plus
    // node i on candidate c; shared inputs are counted once per consumer,
    // which only biases ties.
    let mut best: Vec<Vec<BestChoice>> = Vec::with_capacity(candidates.len());
    for i in 0..candidates.len() {
        let mut options = Vec::with_capacity(candidates[i].len());
        for (c, candidate) in candidates[i].iter().enumerate() {
            let mut cost = tables.operator[i][c];
            let mut chosen_inputs = Vec::new();
            for (slot, &k) in tables.inputs[i].iter().enumerate() {
                let accepted = candidate.operator.input_channels(slot);
                let mut cheapest = (f64::INFINITY, 0);
                for (p, producer) in candidates[k].iter().enumerate() {
                    let Some(kind) = producer.operator.output_channel() else {
                        continue;
                    };
                    let conversion = tables
                        .path(k, kind, accepted)
                        .map_or(f64::INFINITY, |(cost, _)| cost);
                    let total = best[k][p].0 + conversion;
                    if total < cheapest.0 {
                        cheapest = (total, p);
                    }
                }
                cost += cheapest.0;
                chosen_inputs.push((k, cheapest.1));
            }
            options.push((cost, chosen_inputs));
        }
        best.push(options);
    }
    // Walk back from the sinks; the first decision about a node stands.
    let mut picks: Vec<Option<usize>> = vec![None; candidates.len()];
    for i in (0..candidates.len()).rev() {
        let pick = *picks[i].get_or_insert_with(|| {
            best[i]
                .iter()
                .enumerate()
                .fold((0, f64::INFINITY), |acc, (c, (cost, _))| {
                    if *cost < acc.1 {
                        (c, *cost)
                    } else {
                        acc
                    }
                })
                .0
        });
        for (k, c) in &best[i][pick].1 {
            if picks[*k].is_none() {
                picks[*k] = Some(*c);
            }
        }
    }
    picks.into_iter().map(|p| p.unwrap_or(0)).collect()
}

impl PlatformChooser for CostBasedChooser {
    fn choose(
        &self,
        plan: &WayangPlan,
        candidates: &[Vec<Candidate>],
        planning: &Planning<'_>,
    ) -> Result<Vec<usize>> {
        let tables = Tables::new(self.model.as_ref(), plan, candidates, planning);
        let assignments = candidates
            .iter()
            .try_fold(1usize, |acc, c| acc.checked_mul(c.len()));
        let mut picks = match assignments {
            Some(n) if n <= EXHAUSTIVE_LIMIT => exhaustive(&tables),
            _ => {
                let mut best = dynamic(&tables);
                let mut best_cost = tables.total(&best);
                // Every plan on one platform, where possible: start-up costs
                // are global, which the dynamic programme does not see.
                let platforms: HashSet<Platform> =
                    candidates.iter().flatten().map(|c| c.platform).collect();
                for platform in platforms {
                    let single: Option<Vec<usize>> = candidates
                        .iter()
                        .map(|options| options.iter().position(|c| c.platform == platform))
                        .collect();
                    if let Some(single) = single {
                        let cost = tables.total(&single);
                        if cost < best_cost {
                            (best, best_cost) = (single, cost);
                        }
                    }
                }
                best
            }
        };
        if tables.total(&picks).is_infinite() {
            // No assignment connects: keep the first candidates and let the
            // execution plan report which channel it cannot convert.
            picks = vec![0; candidates.len()];
        }
        if picks.len() != candidates.len() {
            return Err(Error::internal("the chooser lost an operator"));
        }
        Ok(picks)
    }
}
