//! The flows a server answers with, and every older version a call in
//! progress may still be on.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use super::CallError;
use super::CallStore;
use crate::flow::Flow;

/// Current flows by id, plus a cache of versions read back from the store.
pub struct FlowRegistry {
    current: HashMap<String, Arc<Flow>>,
    versions: RwLock<HashMap<(String, String), Arc<Flow>>>,
    store: CallStore,
}

impl FlowRegistry {
    /// Registers the current flows, saving each version's source so calls
    /// started on it can finish on it after the file changes.
    pub async fn new(flows: Vec<Flow>, store: CallStore) -> Result<Self, CallError> {
        let mut current = HashMap::new();
        let mut versions = HashMap::new();
        for flow in flows {
            store.save_flow_version(&flow.id, &flow.version, &flow.source).await?;
            let flow = Arc::new(flow);
            versions.insert((flow.id.clone(), flow.version.clone()), flow.clone());
            current.insert(flow.id.clone(), flow);
        }
        Ok(Self { current, versions: RwLock::new(versions), store })
    }

    pub fn current(&self, id: &str) -> Option<Arc<Flow>> {
        self.current.get(id).cloned()
    }

    /// Every current flow, by id.
    pub fn all_current(&self) -> Vec<Arc<Flow>> {
        let mut flows: Vec<Arc<Flow>> = self.current.values().cloned().collect();
        flows.sort_by(|a, b| a.id.cmp(&b.id));
        flows
    }

    /// A specific version: from memory, else from the store.
    pub async fn version(&self, id: &str, version: &str) -> Result<Arc<Flow>, CallError> {
        let key = (id.to_owned(), version.to_owned());
        if let Some(flow) = self.versions.read().expect("registry lock").get(&key) {
            return Ok(flow.clone());
        }
        let source = self
            .store
            .flow_source(id, version)
            .await?
            .ok_or_else(|| CallError::UnknownFlow(format!("{id}@{version}")))?;
        // Checked when it was current; prompts may since have left the catalog.
        let flow = Flow::parse(&source, None).map_err(|e| CallError::UnknownFlow(format!("{id}@{version}: {e}")))?;
        let flow = Arc::new(flow);
        self.versions.write().expect("registry lock").insert(key, flow.clone());
        Ok(flow)
    }
}
