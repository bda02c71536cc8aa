//! The two sources of the [`Inventory`]: snapshot files ([`snapshot`]) and a live cluster
//! ([`live`]), and [`load`], the one entry point that picks between them.

pub mod live;
pub mod snapshot;

use crate::error::Error;
use crate::inventory::Inventory;
use live::client::ConnectArgs;

/// Where the cluster comes from and which part of it to read: plain values, so a test or
/// another program can build one without a command line.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Snapshot paths (files, directories, `-`); empty reads the live cluster.
    pub snapshots: Vec<String>,
    /// One namespace, or all.
    pub namespace: Option<String>,
    /// Narrows the pods listed (live cluster).
    pub pod_selector: Option<String>,
    /// Objects per page when listing.
    pub page_size: u32,
    pub connect: ConnectArgs,
}

impl Options {
    pub fn is_live(&self) -> bool {
        self.snapshots.is_empty()
    }

    pub fn scope(&self) -> live::Scope {
        live::Scope {
            namespace: self.namespace.clone(),
            pod_selector: self.pod_selector.clone(),
            page_size: self.page_size,
        }
    }
}

/// The inventory from the snapshot files, else from the live cluster.
pub fn load(options: &Options) -> Result<Inventory, Error> {
    if options.is_live() {
        return runtime()?.block_on(async {
            let (client, _context_namespace) = live::client::connect(&options.connect).await?;
            live::read_inventory(client, &options.scope()).await
        });
    }
    let inputs: Vec<snapshot::Input> = options
        .snapshots
        .iter()
        .map(|s| snapshot::Input::parse(s))
        .collect();
    let mut inventory = snapshot::load(&inputs)?;
    if let Some(ns) = &options.namespace {
        inventory.restrict_to_namespace(ns);
    }
    Ok(inventory)
}

/// The async runtime the live source runs on.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Cluster(format!("cannot start the async runtime: {e}")))
}

/// What `version` reads: the API server's version (live only: a snapshot does not record it) and
/// an inventory holding at least the control planes and injectors (live: only those).
pub fn load_control_planes(options: &Options) -> Result<(Option<String>, Inventory), Error> {
    if options.is_live() {
        return runtime()?.block_on(async {
            let (client, _) = live::client::connect(&options.connect).await?;
            let (server, inventory) = tokio::join!(
                live::lookup::server_version(&client),
                live::lookup::control_planes(client.clone(), options.page_size),
            );
            Ok((Some(server?), inventory?))
        });
    }
    load(options).map(|inventory| (None, inventory))
}
