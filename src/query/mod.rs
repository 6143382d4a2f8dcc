//! Questions asked of the projections: totals and their derivations. Reads
//! the cache (indexes), never the log; decides nothing about what is stored.

mod check;
mod estimate;
mod findings;
mod memo;
mod resolve;
mod total;
mod view;

pub use check::{check, check_each, scope_key, ClaimRef, Finding, Severity, Tolerance};
pub use estimate::Estimate;
pub use resolve::{independence_key, Policy};
pub use total::{explain, total, total_brief, totals_over_log, Filter, Query, LIST_ALL_UP_TO};
pub use view::{Answer, ClaimView, Group, Named, Omitted, Role, Route, Total};
