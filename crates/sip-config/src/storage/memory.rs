//! MemoryStorage: nothing persists beyond the process; for tests and ephemeral agents.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::{
    ConfigurationBackend, Storage, XcapDocument, XcapStorage, XcapStorageFactory, check_account_id,
    check_document_name, check_etag,
};
use crate::error::StorageError;
use crate::value::Group;

/// Storage kept in memory (seed: `MemoryStorage`). Clones share the same contents.
#[derive(Debug, Clone, Default)]
pub struct MemoryStorage {
    backend: Arc<MemoryConfigurationBackend>,
    xcap: Arc<MemoryXcapStorageFactory>,
}

impl MemoryStorage {
    /// An empty storage.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Storage for MemoryStorage {
    fn configuration_backend(&self) -> Arc<dyn ConfigurationBackend> {
        self.backend.clone()
    }

    fn xcap_storage_factory(&self) -> Arc<dyn XcapStorageFactory> {
        self.xcap.clone()
    }
}

/// The configuration tree in memory.
#[derive(Debug, Default)]
pub struct MemoryConfigurationBackend {
    data: Mutex<Group>,
}

impl ConfigurationBackend for MemoryConfigurationBackend {
    fn load(&self) -> Result<Group, StorageError> {
        Ok(self
            .data
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone())
    }

    fn save(&self, data: &Group) -> Result<(), StorageError> {
        *self.data.lock().unwrap_or_else(PoisonError::into_inner) = data.clone();
        Ok(())
    }
}

/// Creates [`MemoryXcapStorage`]s; the same account id gets the same storage.
#[derive(Debug, Default)]
pub struct MemoryXcapStorageFactory {
    accounts: Mutex<BTreeMap<String, Arc<MemoryXcapStorage>>>,
}

impl XcapStorageFactory for MemoryXcapStorageFactory {
    fn xcap_storage(&self, account_id: &str) -> Result<Arc<dyn XcapStorage>, StorageError> {
        check_account_id(account_id)?;
        let mut accounts = self.accounts.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(accounts.entry(account_id.to_owned()).or_default().clone())
    }
}

/// XCAP documents of one account in memory.
#[derive(Debug, Default)]
pub struct MemoryXcapStorage {
    documents: Mutex<BTreeMap<String, XcapDocument>>,
}

impl XcapStorage for MemoryXcapStorage {
    fn load(&self, name: &str) -> Result<Option<XcapDocument>, StorageError> {
        check_document_name(name)?;
        Ok(self
            .documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned())
    }

    fn save(&self, name: &str, document: &XcapDocument) -> Result<(), StorageError> {
        check_document_name(name)?;
        check_etag(&document.etag)?;
        self.documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_owned(), document.clone());
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<(), StorageError> {
        check_document_name(name)?;
        self.documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(name);
        Ok(())
    }

    fn purge(&self) -> Result<(), StorageError> {
        self.documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        Ok(())
    }

    fn names(&self) -> Result<Vec<String>, StorageError> {
        Ok(self
            .documents
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect())
    }
}
