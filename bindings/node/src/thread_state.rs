//! What the addon keeps for each JavaScript thread (the main one, each
//! worker's): the object keys interned for tapes, the buffer messages are
//! encoded into, and the registry that names serializers by number.
//!
//! It is one thread-local, reached once per encode: in a shared library
//! every thread-local access is a call, which a small record notices.

use std::cell::RefCell;
use std::sync::Arc;

/// How many distinct keys a thread interns; past them (keys that are data,
/// as a map's are) keys travel in the tape.
const KEYS_INTERNED: usize = 4096;

/// The encode buffer is kept between calls while it stays this small, so
/// that one huge record does not hold its memory for the life of the thread.
const OUT_KEPT: usize = 64 * 1024;

thread_local! {
    static STATE: RefCell<ThreadState> = const {
        RefCell::new(ThreadState {
            keys: Vec::new(),
            out: Vec::new(),
            serializers: Registry {
                slots: Vec::new(),
                free: Vec::new(),
                generation: 0,
            },
        })
    };

    /// Serializers collected while the state was in use, freed at the next
    /// registration.
    static RELEASED_DURING_USE: RefCell<Vec<(u32, u32)>> = const { RefCell::new(Vec::new()) };
}

pub struct ThreadState {
    /// Interned object keys, by id (see `tape`).
    pub keys: Vec<Box<str>>,
    /// Where messages are encoded before they are copied out.
    pub out: Vec<u8>,
    pub serializers: Registry,
}

/// Runs `f` with this thread's state, or returns `None` if it is in use
/// already (a call that nested, which no JavaScript can cause while the
/// addon runs) or gone (the thread is ending).
pub fn with<R>(f: impl FnOnce(&mut ThreadState) -> R) -> Option<R> {
    STATE
        .try_with(|cell| {
            let mut state = cell.try_borrow_mut().ok()?;
            let result = f(&mut state);
            if state.out.capacity() > OUT_KEPT {
                state.out = Vec::new();
            }
            Some(result)
        })
        .ok()
        .flatten()
}

impl ThreadState {
    /// Interns `key`, returning its id, or nothing once the thread has
    /// interned as many as it keeps.
    pub fn intern(&mut self, key: String) -> Option<u32> {
        if self.keys.len() >= KEYS_INTERNED {
            return None;
        }
        self.keys.push(key.into_boxed_str());
        Some(self.keys.len() as u32 - 1)
    }
}

/// The serializers of a thread, by slot, so that a call names one with two
/// numbers instead of an object whose type N-API would have to check. A
/// slot's generation changes each time it is reused, so a stale pair names
/// nothing rather than another serializer.
pub struct Registry {
    slots: Vec<(u32, Option<Arc<eventbus::Serializer>>)>,
    free: Vec<u32>,
    generation: u32,
}

impl Registry {
    /// The serializer in `slot`, if it still has `generation`.
    pub fn get(&self, slot: u32, generation: u32) -> Option<&eventbus::Serializer> {
        match self.slots.get(slot as usize) {
            Some((current, Some(serializer))) if *current == generation => Some(serializer),
            _ => None,
        }
    }

    fn release(&mut self, slot: u32, generation: u32) {
        if let Some(entry) = self.slots.get_mut(slot as usize)
            && entry.0 == generation
            && entry.1.is_some()
        {
            entry.1 = None;
            self.free.push(slot);
        }
    }
}

/// A serializer's place in its thread's registry, held by the JavaScript
/// `Serializer`; dropping it (when the object is collected) frees the place.
pub struct Registered {
    pub slot: u32,
    pub generation: u32,
}

/// Gives `serializer` a place in this thread's registry.
pub fn register(serializer: &Arc<eventbus::Serializer>) -> Option<Registered> {
    with(|state| {
        let registry = &mut state.serializers;
        for (slot, generation) in RELEASED_DURING_USE.take() {
            registry.release(slot, generation);
        }
        registry.generation = registry.generation.wrapping_add(1);
        let generation = registry.generation;
        let entry = (generation, Some(Arc::clone(serializer)));
        let slot = match registry.free.pop() {
            Some(slot) => {
                registry.slots[slot as usize] = entry;
                slot
            }
            None => {
                registry.slots.push(entry);
                registry.slots.len() as u32 - 1
            }
        };
        Registered { slot, generation }
    })
}

impl Drop for Registered {
    fn drop(&mut self) {
        let released = with(|state| state.serializers.release(self.slot, self.generation));
        if released.is_none() {
            // A collection during an encode (which holds the state)
            // finalized this serializer, or the thread is ending.
            let _ = RELEASED_DURING_USE
                .try_with(|released| released.borrow_mut().push((self.slot, self.generation)));
        }
    }
}
