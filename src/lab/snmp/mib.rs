//! The MIB a twin serves, computed from its live facts: the system group, IF-MIB (ifNumber,
//! ifTable, ifXTable) and ENTITY-MIB's entPhysicalTable for the chassis.
//!
//! Nothing is stored between requests: a [`MibView`] is a snapshot of `Device::facts()` and
//! `Device::uptime_ticks()`, and GET / GETNEXT are answered arithmetically from a static,
//! sorted list of objects (no per-request OID table is built). [`DeviceMib`] is the
//! `MibHandler` the agent calls; it takes one snapshot per request, so every varbind of a
//! GETBULK answer comes from the same instant.

use crate::inventory::AssetKind;
use crate::lab::device::{Device, DeviceFacts, InterfaceFacts};
use async_snmp::handler::{
    BoxFuture, GetNextResult, GetResult, HandlerError, HandlerResult, MibHandler, RequestContext,
};
use async_snmp::{Oid, PduType, Value, VarBind};
use std::cmp::Ordering;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// mib-2: the subtree this handler owns (1.3.6.1.2.1). Everything it serves lies below.
pub(crate) const MIB2: [u32; 6] = [1, 3, 6, 1, 2, 1];

/// One object the agent serves: a scalar (instance `.0`) or a table column (one instance
/// per row index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Object {
    Sys(Sys),
    IfNumber,
    If(IfCol),
    IfX(IfXCol),
    Ent(EntCol),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sys {
    Descr,
    ObjectId,
    UpTime,
    Contact,
    Name,
    Location,
    Services,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IfCol {
    Index,
    Descr,
    Type,
    Mtu,
    Speed,
    PhysAddress,
    AdminStatus,
    OperStatus,
    LastChange,
    InOctets,
    InDiscards,
    InErrors,
    OutOctets,
    OutDiscards,
    OutErrors,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IfXCol {
    Name,
    HcInOctets,
    HcOutOctets,
    HighSpeed,
    Alias,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntCol {
    Descr,
    ContainedIn,
    Class,
    ParentRelPos,
    Name,
    SerialNum,
    ModelName,
    IsFru,
}

/// Every object served, in strictly increasing OID order (a unit test checks the order and
/// that no object lies inside another). GETNEXT walks this list.
const OBJECTS: &[(&[u32], Object)] = &[
    (&[1, 3, 6, 1, 2, 1, 1, 1], Object::Sys(Sys::Descr)),
    (&[1, 3, 6, 1, 2, 1, 1, 2], Object::Sys(Sys::ObjectId)),
    (&[1, 3, 6, 1, 2, 1, 1, 3], Object::Sys(Sys::UpTime)),
    (&[1, 3, 6, 1, 2, 1, 1, 4], Object::Sys(Sys::Contact)),
    (&[1, 3, 6, 1, 2, 1, 1, 5], Object::Sys(Sys::Name)),
    (&[1, 3, 6, 1, 2, 1, 1, 6], Object::Sys(Sys::Location)),
    (&[1, 3, 6, 1, 2, 1, 1, 7], Object::Sys(Sys::Services)),
    (&[1, 3, 6, 1, 2, 1, 2, 1], Object::IfNumber),
    (&[1, 3, 6, 1, 2, 1, 2, 2, 1, 1], Object::If(IfCol::Index)),
    (&[1, 3, 6, 1, 2, 1, 2, 2, 1, 2], Object::If(IfCol::Descr)),
    (&[1, 3, 6, 1, 2, 1, 2, 2, 1, 3], Object::If(IfCol::Type)),
    (&[1, 3, 6, 1, 2, 1, 2, 2, 1, 4], Object::If(IfCol::Mtu)),
    (&[1, 3, 6, 1, 2, 1, 2, 2, 1, 5], Object::If(IfCol::Speed)),
    (
        &[1, 3, 6, 1, 2, 1, 2, 2, 1, 6],
        Object::If(IfCol::PhysAddress),
    ),
    (
        &[1, 3, 6, 1, 2, 1, 2, 2, 1, 7],
        Object::If(IfCol::AdminStatus),
    ),
    (
        &[1, 3, 6, 1, 2, 1, 2, 2, 1, 8],
        Object::If(IfCol::OperStatus),
    ),
    (
        &[1, 3, 6, 1, 2, 1, 2, 2, 1, 9],
        Object::If(IfCol::LastChange),
    ),
    (
        &[1, 3, 6, 1, 2, 1, 2, 2, 1, 10],
        Object::If(IfCol::InOctets),
    ),
    (
        &[1, 3, 6, 1, 2, 1, 2, 2, 1, 13],
        Object::If(IfCol::InDiscards),
    ),
    (
        &[1, 3, 6, 1, 2, 1, 2, 2, 1, 14],
        Object::If(IfCol::InErrors),
    ),
    (
        &[1, 3, 6, 1, 2, 1, 2, 2, 1, 16],
        Object::If(IfCol::OutOctets),
    ),
    (
        &[1, 3, 6, 1, 2, 1, 2, 2, 1, 19],
        Object::If(IfCol::OutDiscards),
    ),
    (
        &[1, 3, 6, 1, 2, 1, 2, 2, 1, 20],
        Object::If(IfCol::OutErrors),
    ),
    (
        &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1],
        Object::IfX(IfXCol::Name),
    ),
    (
        &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6],
        Object::IfX(IfXCol::HcInOctets),
    ),
    (
        &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 10],
        Object::IfX(IfXCol::HcOutOctets),
    ),
    (
        &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 15],
        Object::IfX(IfXCol::HighSpeed),
    ),
    (
        &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18],
        Object::IfX(IfXCol::Alias),
    ),
    (
        &[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 2],
        Object::Ent(EntCol::Descr),
    ),
    (
        &[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 4],
        Object::Ent(EntCol::ContainedIn),
    ),
    (
        &[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 5],
        Object::Ent(EntCol::Class),
    ),
    (
        &[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 6],
        Object::Ent(EntCol::ParentRelPos),
    ),
    (
        &[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 7],
        Object::Ent(EntCol::Name),
    ),
    (
        &[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 11],
        Object::Ent(EntCol::SerialNum),
    ),
    (
        &[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 13],
        Object::Ent(EntCol::ModelName),
    ),
    (
        &[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 16],
        Object::Ent(EntCol::IsFru),
    ),
];

/// entPhysicalIndex of the chassis, the only physical entity a twin describes.
const CHASSIS_INDEX: u32 = 1;

/// What the agent serves at one instant.
#[derive(Debug, Clone)]
pub(crate) struct MibView {
    facts: DeviceFacts,
    uptime_ticks: u32,
    kind: AssetKind,
    model: String,
    /// Seed for the interfaces' derived MAC addresses (stable per device name).
    mac_seed: [u8; 3],
    /// Indices into `facts.interfaces`, ordered by ifIndex, duplicates removed: table rows
    /// must be strictly increasing whatever order the platform reports them in.
    rows: Vec<usize>,
}

impl MibView {
    /// Snapshot the device now (facts with faults applied, uptime).
    pub(crate) fn capture(device: &Device) -> MibView {
        MibView::new(
            device.facts(),
            device.uptime_ticks(),
            device.spec.kind,
            device.spec.model.clone(),
            &device.spec.name,
        )
    }

    fn new(
        facts: DeviceFacts,
        uptime_ticks: u32,
        kind: AssetKind,
        model: String,
        device_name: &str,
    ) -> MibView {
        let mut rows: Vec<usize> = (0..facts.interfaces.len()).collect();
        rows.sort_by_key(|&i| facts.interfaces[i].index);
        rows.dedup_by_key(|i| facts.interfaces[*i].index);
        let hash = super::fnv1a64(device_name.as_bytes(), 0).to_be_bytes();
        MibView {
            facts,
            uptime_ticks,
            kind,
            model,
            mac_seed: [hash[0], hash[1], hash[2]],
            rows,
        }
    }

    fn interface(&self, if_index: u32) -> Option<&InterfaceFacts> {
        let pos = self
            .rows
            .binary_search_by_key(&if_index, |&i| self.facts.interfaces[i].index)
            .ok()?;
        Some(&self.facts.interfaces[self.rows[pos]])
    }

    /// Row indices of a table object, ascending (empty for scalars).
    fn row_indices(&self, object: Object) -> impl Iterator<Item = u32> + '_ {
        let (ifs, chassis) = match object {
            Object::If(_) | Object::IfX(_) => (true, false),
            Object::Ent(_) => (false, true),
            Object::Sys(_) | Object::IfNumber => (false, false),
        };
        let if_rows = self
            .rows
            .iter()
            .filter(move |_| ifs)
            .map(|&i| self.facts.interfaces[i].index);
        if_rows.chain(chassis.then_some(CHASSIS_INDEX))
    }

    /// GET: the value of one instance, or which exception applies.
    pub(crate) fn get(&self, oid: &[u32]) -> HandlerResult<GetResult> {
        let Some((prefix, object)) = OBJECTS.iter().find(|(p, _)| oid.starts_with(p)) else {
            // Not an object this twin implements (or a node above one, like ifTable).
            return Ok(GetResult::NoSuchObject);
        };
        let instance = &oid[prefix.len()..];
        let value = match (object, instance) {
            (Object::Sys(_) | Object::IfNumber, [0]) => self.value(*object, 0)?,
            (Object::If(_) | Object::IfX(_) | Object::Ent(_), [index])
                if self.row_indices(*object).any(|r| r == *index) =>
            {
                self.value(*object, *index)?
            }
            // The object exists; this instance of it does not (`sysName` without `.0`,
            // `ifDescr.999`).
            _ => return Ok(GetResult::NoSuchInstance),
        };
        Ok(GetResult::Value(value))
    }

    /// GETNEXT: the first instance strictly after `oid`, or `None` past the last one.
    pub(crate) fn get_next(&self, oid: &[u32]) -> HandlerResult<Option<VarBind>> {
        for (prefix, object) in OBJECTS {
            let instance = match compare_to_subtree(oid, prefix) {
                // The whole object lies before `oid`.
                Ordering::Greater => continue,
                // `oid` precedes the object: its first instance is next.
                Ordering::Less => self.first_instance(*object),
                // `oid` is the object or inside it: the first instance above its suffix.
                Ordering::Equal => self.instance_after(*object, &oid[prefix.len()..]),
            };
            if let Some(index) = instance {
                let value = self.value(*object, index)?;
                let mut arcs = prefix.to_vec();
                arcs.push(index);
                return Ok(Some(VarBind::new(Oid::from(arcs), value)));
            }
        }
        Ok(None)
    }

    fn first_instance(&self, object: Object) -> Option<u32> {
        match object {
            Object::Sys(_) | Object::IfNumber => Some(0),
            _ => self.row_indices(object).next(),
        }
    }

    /// The first instance whose one-arc suffix is greater than `suffix` (a suffix below the
    /// object's OID, possibly empty or longer than one arc).
    fn instance_after(&self, object: Object, suffix: &[u32]) -> Option<u32> {
        // `[i]` > `suffix` exactly when the suffix is empty or `i` > its first arc: `[i]`
        // equal to the suffix's head is not greater, and a longer suffix with that head
        // is greater than `[i]`.
        let after = |i: u32| suffix.first().is_none_or(|&head| i > head);
        match object {
            Object::Sys(_) | Object::IfNumber => Some(0).filter(|&i| after(i)),
            _ => self.row_indices(object).find(|&i| after(i)),
        }
    }

    fn value(&self, object: Object, index: u32) -> HandlerResult<Value> {
        let f = &self.facts;
        Ok(match object {
            Object::Sys(sys) => match sys {
                Sys::Descr => octets(&f.descr),
                Sys::ObjectId => {
                    Value::ObjectIdentifier(Oid::parse(&f.object_id).map_err(|e| {
                        HandlerError::new(format!(
                            "sysObjectID {:?} is not an OID: {e}",
                            f.object_id
                        ))
                    })?)
                }
                Sys::UpTime => Value::TimeTicks(self.uptime_ticks),
                Sys::Contact => octets(&f.contact),
                Sys::Name => octets(&f.name),
                Sys::Location => octets(&f.location),
                Sys::Services => Value::Integer(sys_services(self.kind)),
            },
            Object::IfNumber => Value::Integer(saturating_i32(self.rows.len())),
            Object::If(col) => {
                let i = self.row(index)?;
                match col {
                    IfCol::Index => Value::Integer(saturating_i32(i.index as usize)),
                    IfCol::Descr => octets(&i.name),
                    IfCol::Type => Value::Integer(saturating_i32(i.if_type as usize)),
                    IfCol::Mtu => Value::Integer(if_mtu(i.if_type)),
                    IfCol::Speed => Value::Gauge32(if_speed(i.speed_mbps)),
                    IfCol::PhysAddress => Value::OctetString(self.phys_address(i).into()),
                    IfCol::AdminStatus => Value::Integer(status(i.admin_up)),
                    IfCol::OperStatus => Value::Integer(status(i.oper_up)),
                    // The twin keeps no last-change time: every interface is in its state
                    // since boot (sysUpTime 0).
                    IfCol::LastChange => Value::TimeTicks(0),
                    // Counter32 wraps: the low 32 bits of the 64-bit counter, as on a device.
                    IfCol::InOctets => Value::Counter32(i.in_octets as u32),
                    IfCol::OutOctets => Value::Counter32(i.out_octets as u32),
                    // A twin never drops or corrupts a frame.
                    IfCol::InDiscards | IfCol::InErrors | IfCol::OutDiscards | IfCol::OutErrors => {
                        Value::Counter32(0)
                    }
                }
            }
            Object::IfX(col) => {
                let i = self.row(index)?;
                match col {
                    IfXCol::Name => octets(&i.name),
                    IfXCol::HcInOctets => Value::Counter64(i.in_octets),
                    IfXCol::HcOutOctets => Value::Counter64(i.out_octets),
                    IfXCol::HighSpeed => Value::Gauge32(i.speed_mbps),
                    IfXCol::Alias => octets(&i.alias),
                }
            }
            Object::Ent(col) => match col {
                EntCol::Descr => octets(&self.model),
                // The chassis is contained in nothing and has no position in a parent.
                EntCol::ContainedIn => Value::Integer(0),
                EntCol::ParentRelPos => Value::Integer(-1),
                // PhysicalClass chassis(3).
                EntCol::Class => Value::Integer(3),
                EntCol::Name => octets("Chassis"),
                EntCol::SerialNum => octets(&f.serial),
                EntCol::ModelName => octets(&self.model),
                // TruthValue false(2): a chassis is not a field-replaceable unit.
                EntCol::IsFru => Value::Integer(2),
            },
        })
    }

    fn row(&self, if_index: u32) -> HandlerResult<&InterfaceFacts> {
        // Callers only ask for indices taken from `rows`; a miss is a bug, reported as
        // genErr rather than a panic in the agent.
        self.interface(if_index)
            .ok_or_else(|| HandlerError::new(format!("no interface with ifIndex {if_index}")))
    }

    /// A stable, locally administered MAC (02:xx:xx:xx + ifIndex) for interfaces that have
    /// one; loopbacks and tunnels have none (an empty ifPhysAddress, as on devices).
    fn phys_address(&self, i: &InterfaceFacts) -> Vec<u8> {
        match i.if_type {
            IF_TYPE_LOOPBACK | IF_TYPE_TUNNEL => Vec::new(),
            _ => {
                let [a, b, c] = self.mac_seed;
                let [.., hi, lo] = i.index.to_be_bytes();
                vec![0x02, a, b, c, hi, lo]
            }
        }
    }
}

const IF_TYPE_LOOPBACK: u32 = 24;
const IF_TYPE_TUNNEL: u32 = 131;

fn octets(s: &str) -> Value {
    Value::OctetString(s.to_owned().into())
}

fn saturating_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// ifAdminStatus / ifOperStatus: up(1), down(2).
fn status(up: bool) -> i32 {
    if up { 1 } else { 2 }
}

/// ifSpeed is a Gauge32 in bit/s: anything from 4.3 Gbit/s up reads 4294967295 (RFC 2863;
/// ifHighSpeed carries the real figure).
fn if_speed(mbps: u32) -> u32 {
    u64::from(mbps)
        .saturating_mul(1_000_000)
        .min(u64::from(u32::MAX)) as u32
}

/// ifMtu by interface type: the facts carry none, so the usual defaults (IOS loopbacks
/// report 1514, WireGuard tunnels 1420, everything else Ethernet's 1500).
fn if_mtu(if_type: u32) -> i32 {
    match if_type {
        IF_TYPE_LOOPBACK => 1514,
        IF_TYPE_TUNNEL => 1420,
        _ => 1500,
    }
}

/// sysServices: the sum of 2^(layer-1) over the layers the device offers (RFC 3418).
fn sys_services(kind: AssetKind) -> i32 {
    match kind {
        // Datalink (2).
        AssetKind::Switch | AssetKind::AccessPoint => 2,
        // Internet (4).
        AssetKind::Router | AssetKind::VpnGateway | AssetKind::Firewall => 4,
        // End-to-end (8) + applications (64).
        AssetKind::Server
        | AssetKind::Workstation
        | AssetKind::Printer
        | AssetKind::Phone
        | AssetKind::Other => 72,
    }
}

/// Where `oid` stands relative to the subtree rooted at `prefix`: `Less` before every OID in
/// it, `Equal` inside it (or at its root), `Greater` after all of it.
fn compare_to_subtree(oid: &[u32], prefix: &[u32]) -> Ordering {
    let n = oid.len().min(prefix.len());
    match oid[..n].cmp(&prefix[..n]) {
        Ordering::Equal if oid.len() < prefix.len() => Ordering::Less,
        Ordering::Equal => Ordering::Equal,
        other => other,
    }
}

/// How long a request's snapshot is reused for the rest of that request.
const SNAPSHOT_REUSE: Duration = Duration::from_secs(1);

/// Identifies one request for snapshot reuse: the relay socket it came through (one per
/// client), its request-id and PDU type.
type RequestKey = (SocketAddr, i32, PduType);

/// The agent's handler for mib-2: answers from a snapshot of the device taken per request.
pub(crate) struct DeviceMib {
    device: Arc<Device>,
    /// The last request's snapshot. A GETBULK calls GETNEXT once per varbind and repetition;
    /// reusing the snapshot keeps one answer consistent and avoids recomputing the facts
    /// dozens of times. Bounded in time so a retransmitted request-id reads fresh state.
    last: Mutex<Option<(RequestKey, Instant, Arc<MibView>)>>,
}

impl DeviceMib {
    pub(crate) fn new(device: Arc<Device>) -> DeviceMib {
        DeviceMib {
            device,
            last: Mutex::new(None),
        }
    }

    fn view(&self, ctx: &RequestContext) -> Arc<MibView> {
        let key = (ctx.source(), ctx.request_id(), ctx.pdu_type());
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((k, at, view)) = last.as_ref()
            && *k == key
            && at.elapsed() < SNAPSHOT_REUSE
        {
            return Arc::clone(view);
        }
        let view = Arc::new(MibView::capture(&self.device));
        *last = Some((key, Instant::now(), Arc::clone(&view)));
        view
    }
}

impl MibHandler for DeviceMib {
    fn get<'a>(
        &'a self,
        ctx: &'a RequestContext,
        oid: &'a Oid,
    ) -> BoxFuture<'a, HandlerResult<GetResult>> {
        Box::pin(async move { self.view(ctx).get(oid.arcs()) })
    }

    fn get_next<'a>(
        &'a self,
        ctx: &'a RequestContext,
        oid: &'a Oid,
    ) -> BoxFuture<'a, HandlerResult<GetNextResult>> {
        Box::pin(async move {
            Ok(match self.view(ctx).get_next(oid.arcs())? {
                Some(varbind) => GetNextResult::Value(varbind),
                None => GetNextResult::EndOfMibView,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(interfaces: Vec<InterfaceFacts>) -> MibView {
        let facts = DeviceFacts {
            descr: "Twin".into(),
            object_id: "1.3.6.1.4.1.9.1.1208".into(),
            name: "sw1".into(),
            contact: "noc".into(),
            location: "Paris".into(),
            serial: "FOC123".into(),
            interfaces,
        };
        MibView::new(facts, 4200, AssetKind::Switch, "C2960X".into(), "sw1")
    }

    fn port(index: u32, name: &str) -> InterfaceFacts {
        InterfaceFacts {
            index,
            name: name.into(),
            speed_mbps: 1000,
            if_type: 6,
            admin_up: true,
            oper_up: true,
            ..InterfaceFacts::default()
        }
    }

    /// Walks the whole view with GETNEXT from `start`, returning the OIDs seen.
    fn walk(view: &MibView, start: &[u32]) -> Vec<Vec<u32>> {
        let mut seen = Vec::new();
        let mut at = start.to_vec();
        while let Some(vb) = view.get_next(&at).expect("get_next") {
            let next = vb.oid.arcs().to_vec();
            assert!(next > at, "{next:?} does not follow {at:?}");
            at = next.clone();
            seen.push(next);
        }
        seen
    }

    #[test]
    fn objects_are_sorted_and_disjoint() {
        for pair in OBJECTS.windows(2) {
            let (a, b) = (pair[0].0, pair[1].0);
            assert!(a < b, "{a:?} !< {b:?}");
            assert!(!b.starts_with(a), "{b:?} is inside {a:?}");
        }
        assert!(OBJECTS.iter().all(|(p, _)| p.starts_with(&MIB2)));
    }

    #[test]
    fn walk_visits_every_instance_in_order() {
        // Reported out of order and with a duplicate: rows still come out sorted, once.
        let v = view(vec![port(3, "Gi0/3"), port(1, "Gi0/1"), port(3, "dup")]);
        let oids = walk(&v, &[1, 3, 6, 1, 2, 1]);
        // 7 system + ifNumber + 15 ifTable + 5 ifXTable columns × 2 rows + 8 entity.
        assert_eq!(oids.len(), 7 + 1 + 2 * (15 + 5) + 8);
        assert_eq!(oids[0], [1, 3, 6, 1, 2, 1, 1, 1, 0]);
        assert_eq!(oids[8], [1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 1]);
        assert_eq!(oids[9], [1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 3]);
        assert_eq!(
            oids.last().map(Vec::as_slice),
            Some(&[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 16, 1][..])
        );
    }

    #[test]
    fn get_next_from_odd_places() {
        let v = view(vec![port(1, "Gi0/1"), port(2, "Gi0/2")]);
        let next = |oid: &[u32]| {
            v.get_next(oid)
                .expect("get_next")
                .map(|vb| vb.oid.arcs().to_vec())
        };
        // From an instance's child: the next row.
        assert_eq!(
            next(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 1, 5]),
            Some(vec![1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 2])
        );
        // From past the last row of a column: the next column's first row.
        assert_eq!(
            next(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 9]),
            Some(vec![1, 3, 6, 1, 2, 1, 2, 2, 1, 3, 1])
        );
        // From a gap between columns (11 is not served).
        assert_eq!(
            next(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 11]),
            Some(vec![1, 3, 6, 1, 2, 1, 2, 2, 1, 13, 1])
        );
        // From sysName.0 to sysLocation.0; from sysServices.0.1 to ifNumber.0.
        assert_eq!(
            next(&[1, 3, 6, 1, 2, 1, 1, 5, 0]),
            Some(vec![1, 3, 6, 1, 2, 1, 1, 6, 0])
        );
        assert_eq!(
            next(&[1, 3, 6, 1, 2, 1, 1, 7, 0, 1]),
            Some(vec![1, 3, 6, 1, 2, 1, 2, 1, 0])
        );
        // Past everything: nothing.
        assert_eq!(next(&[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 16, 1]), None);
        assert_eq!(next(&[1, 3, 6, 1, 2, 2]), None);
    }

    #[test]
    fn get_distinguishes_missing_objects_from_missing_instances() {
        let v = view(vec![port(1, "Gi0/1")]);
        let get = |oid: &[u32]| v.get(oid).expect("get");
        assert_eq!(
            get(&[1, 3, 6, 1, 2, 1, 1, 5, 0]),
            GetResult::Value(octets("sw1"))
        );
        assert_eq!(get(&[1, 3, 6, 1, 2, 1, 1, 5]), GetResult::NoSuchInstance);
        assert_eq!(get(&[1, 3, 6, 1, 2, 1, 1, 5, 1]), GetResult::NoSuchInstance);
        assert_eq!(
            get(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 9]),
            GetResult::NoSuchInstance
        );
        assert_eq!(get(&[1, 3, 6, 1, 2, 1, 1, 99, 0]), GetResult::NoSuchObject);
        assert_eq!(get(&[1, 3, 6, 1, 2, 1, 2, 2, 1]), GetResult::NoSuchObject);
        assert_eq!(
            get(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 11, 1]),
            GetResult::NoSuchObject
        );
    }

    #[test]
    fn values_follow_the_mibs() {
        let mut fast = port(7, "Te1/0/1");
        fast.speed_mbps = 10_000;
        fast.in_octets = (1 << 32) + 5;
        fast.admin_up = false;
        fast.oper_up = false;
        let mut lo = port(8, "Loopback0");
        lo.if_type = IF_TYPE_LOOPBACK;
        let v = view(vec![fast, lo]);
        let get = |oid: &[u32]| match v.get(oid).expect("get") {
            GetResult::Value(value) => value,
            other => panic!("{oid:?}: {other:?}"),
        };
        assert_eq!(
            get(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 5, 7]),
            Value::Gauge32(u32::MAX)
        );
        assert_eq!(
            get(&[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 15, 7]),
            Value::Gauge32(10_000)
        );
        assert_eq!(
            get(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 7]),
            Value::Counter32(5)
        );
        assert_eq!(
            get(&[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 7]),
            Value::Counter64((1 << 32) + 5)
        );
        assert_eq!(get(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 7, 7]), Value::Integer(2));
        assert_eq!(get(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 8, 7]), Value::Integer(2));
        assert_eq!(get(&[1, 3, 6, 1, 2, 1, 2, 1, 0]), Value::Integer(2));
        assert_eq!(
            get(&[1, 3, 6, 1, 2, 1, 1, 2, 0]),
            Value::ObjectIdentifier(Oid::from_slice(&[1, 3, 6, 1, 4, 1, 9, 1, 1208]))
        );
        assert_eq!(get(&[1, 3, 6, 1, 2, 1, 1, 3, 0]), Value::TimeTicks(4200));
        let Value::OctetString(mac) = get(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 6, 7]) else {
            panic!("ifPhysAddress is not an octet string");
        };
        assert_eq!((mac.len(), mac[0], mac[5]), (6, 0x02, 7));
        assert_eq!(
            get(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 6, 8]),
            Value::OctetString(Vec::new().into())
        );
        assert_eq!(
            get(&[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 5, 1]),
            Value::Integer(3)
        );
        assert_eq!(
            get(&[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 11, 1]),
            octets("FOC123")
        );
    }

    #[test]
    fn a_bad_sys_object_id_is_a_gen_err_not_a_panic() {
        let mut v = view(Vec::new());
        v.facts.object_id = "not an oid".into();
        assert!(v.get(&[1, 3, 6, 1, 2, 1, 1, 2, 0]).is_err());
    }
}
