//! The confirm window without a broker: fake channels that answer at once,
//! as told, and note what was outstanding at every publish.

use super::*;
use crate::rabbitmq::checkpoint::tests::fresh;
use crate::rabbitmq::{DEFAULT_AMQP_URL, RabbitOptions};
use lapin::BasicProperties;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

/// What every fake channel of one test shares.
#[derive(Default)]
struct Broker {
    /// Routing keys in the order they were published, with the channel.
    published: RefCell<Vec<(usize, String)>>,
    /// How many more times to nack a routing key before taking it.
    nacks: RefCell<HashMap<String, u32>>,
    /// Routing keys no queue takes.
    unroutable: Vec<String>,
    /// Published and not yet asked about: messages and body bytes.
    outstanding: Cell<usize>,
    outstanding_bytes: Cell<usize>,
    /// The most ever outstanding at once.
    most_outstanding: Cell<usize>,
    most_outstanding_bytes: Cell<usize>,
}

struct Fake<'a> {
    id: usize,
    broker: &'a Broker,
}

/// The answer a fake decided on when the message was published.
struct FakeConfirm {
    answer: Confirmed,
    bytes: usize,
}

impl ConfirmChannel for Fake<'_> {
    type Confirm = FakeConfirm;

    async fn publish(&self, message: &Outgoing) -> Result<FakeConfirm, RabbitError> {
        let b = self.broker;
        let key = message.routing_key.clone();
        let answer = match b.nacks.borrow_mut().get_mut(&key) {
            Some(n) if *n > 0 => {
                *n -= 1;
                Confirmed::Nack
            }
            _ => Confirmed::Ack {
                returned: b.unroutable.contains(&key),
            },
        };
        b.published.borrow_mut().push((self.id, key));
        b.outstanding.set(b.outstanding.get() + 1);
        b.outstanding_bytes
            .set(b.outstanding_bytes.get() + message.body.len());
        b.most_outstanding
            .set(b.most_outstanding.get().max(b.outstanding.get()));
        b.most_outstanding_bytes.set(
            b.most_outstanding_bytes
                .get()
                .max(b.outstanding_bytes.get()),
        );
        Ok(FakeConfirm {
            answer,
            bytes: message.body.len(),
        })
    }

    async fn confirmed(&self, confirm: FakeConfirm) -> Result<Confirmed, RabbitError> {
        let b = self.broker;
        b.outstanding.set(b.outstanding.get() - 1);
        b.outstanding_bytes
            .set(b.outstanding_bytes.get() - confirm.bytes);
        Ok(confirm.answer)
    }
}

fn message(lane: usize, key: &str, bytes: usize) -> Outgoing {
    Outgoing {
        lane,
        routing_key: key.into(),
        body: vec![0; bytes],
        properties: BasicProperties::default(),
    }
}

/// The broker's `host:port`, as the publisher names it in errors.
const ADDR: &str = "127.0.0.1:5672";

/// A fresh checkpoint and the file it is saved to, in a folder of its own
/// that goes when this does.
struct Saved {
    checkpoint: Checkpoint,
    path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Saved {
    fn new() -> Saved {
        let dir = tempfile::tempdir().unwrap();
        let options = RabbitOptions::new(dir.path().into(), DEFAULT_AMQP_URL.into());
        Saved {
            checkpoint: fresh(&options),
            path: Checkpoint::path(&options).unwrap(),
            _dir: dir,
        }
    }
}

/// `n` fake channels of `broker`, numbered from 0.
fn fakes(broker: &Broker, n: usize) -> Vec<Fake<'_>> {
    (0..n).map(|id| Fake { id, broker }).collect()
}

/// The events of the checkpoint saved at `path`, if one was.
fn saved_events(path: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(serde_json::from_str::<Checkpoint>(&text).unwrap().events)
}

fn keys(broker: &Broker) -> Vec<String> {
    broker
        .published
        .borrow()
        .iter()
        .map(|(_, k)| k.clone())
        .collect()
}

#[tokio::test]
async fn never_more_than_the_window_is_unconfirmed() {
    let mut saved = Saved::new();
    let broker = Broker::default();
    let channels = fakes(&broker, 1);
    let mut publisher = Publisher::new(&channels, ADDR, 4, &mut saved.checkpoint, &saved.path);
    let sent: Vec<String> = (0..20).map(|i| format!("k{i}")).collect();
    for key in &sent {
        publisher.publish(message(0, key, 10)).await.unwrap();
        assert!(broker.outstanding.get() <= 4);
    }
    publisher.drain().await.unwrap();
    assert_eq!(broker.most_outstanding.get(), 4, "the window was not used");
    assert_eq!(broker.outstanding.get(), 0);
    assert_eq!(keys(&broker), sent, "published in order");
    assert_eq!(
        publisher.counts(),
        Counts {
            messages: 20,
            confirmed: 20,
            retried: 0,
            unroutable: 0,
            body_bytes: 200,
        }
    );
}

#[tokio::test]
async fn the_window_spans_every_channel_and_a_lane_keeps_to_one() {
    let mut saved = Saved::new();
    let broker = Broker::default();
    let channels = fakes(&broker, 2);
    let mut publisher = Publisher::new(&channels, ADDR, 3, &mut saved.checkpoint, &saved.path);
    assert_eq!(publisher.window(), 6);
    for i in 0..30 {
        let lane = i % 5;
        let key = format!("lane{lane}");
        publisher.publish(message(lane, &key, 1)).await.unwrap();
    }
    publisher.drain().await.unwrap();
    assert_eq!(broker.most_outstanding.get(), 6);
    for (channel, key) in broker.published.borrow().iter() {
        let lane: usize = key["lane".len()..].parse().unwrap();
        assert_eq!(*channel, lane % 2, "{key} went out on channel {channel}");
    }
}

#[tokio::test]
async fn body_bytes_bound_the_window_too_but_a_big_message_still_goes_alone() {
    let mut saved = Saved::new();
    let broker = Broker::default();
    let channels = fakes(&broker, 1);
    let mut publisher = Publisher::new(&channels, ADDR, 100, &mut saved.checkpoint, &saved.path);
    publisher.max_in_flight_bytes = 25;
    for i in 0..10 {
        publisher
            .publish(message(0, &format!("k{i}"), 10))
            .await
            .unwrap();
    }
    assert_eq!(broker.most_outstanding_bytes.get(), 20);
    publisher.publish(message(0, "big", 100)).await.unwrap();
    assert_eq!(
        broker.outstanding.get(),
        1,
        "the big one waited for the rest"
    );
    publisher.drain().await.unwrap();
    assert_eq!(publisher.counts().confirmed, 11);
}

#[tokio::test]
async fn a_nacked_message_is_published_again_before_anything_after_it() {
    let mut saved = Saved::new();
    let broker = Broker::default();
    broker.nacks.borrow_mut().insert("k1".into(), 2);
    let channels = fakes(&broker, 1);
    let mut publisher = Publisher::new(&channels, ADDR, 3, &mut saved.checkpoint, &saved.path);
    for i in 0..6 {
        publisher
            .publish(message(0, &format!("k{i}"), 1))
            .await
            .unwrap();
    }
    publisher.drain().await.unwrap();
    // k3 waited for k0's confirm; k4 for k1's, which was nacked, published
    // again and nacked, published again and taken.
    assert_eq!(
        keys(&broker),
        ["k0", "k1", "k2", "k3", "k1", "k1", "k4", "k5"]
    );
    assert_eq!(
        publisher.counts(),
        Counts {
            messages: 6,
            confirmed: 6,
            retried: 2,
            unroutable: 0,
            // Every publish is sent: the nacked k1 three times.
            body_bytes: 8,
        }
    );
}

#[tokio::test]
async fn a_message_refused_every_time_stops_the_load_and_saves_nothing() {
    let mut saved = Saved::new();
    let broker = Broker::default();
    broker.nacks.borrow_mut().insert("k0".into(), u32::MAX);
    let channels = fakes(&broker, 1);
    let mut publisher = Publisher::new(&channels, ADDR, 3, &mut saved.checkpoint, &saved.path);
    publisher.publish(message(0, "k0", 1)).await.unwrap();
    publisher.mark(Position { consumed: vec![1] }, 1);
    let e = publisher.drain().await.unwrap_err();
    let RabbitError::Broker { lost, .. } = &e else {
        panic!("{e}")
    };
    assert!(!lost, "a refusal is not a lost connection: {e}");
    let text = e.to_string();
    assert!(
        text.starts_with("RabbitMQ at 127.0.0.1:5672: publishing failed: ")
            && text.contains("refused a message (nack)")
            && text.contains("5 times"),
        "{text}"
    );
    assert_eq!(keys(&broker).len(), 1 + RETRIES as usize);
    assert_eq!(publisher.counts().retried, u64::from(RETRIES));
    assert_eq!(publisher.counts().confirmed, 0);
    assert_eq!(
        saved_events(&saved.path),
        None,
        "a checkpoint passed a refusal"
    );
}

#[tokio::test]
async fn unroutable_messages_are_counted_and_confirmed() {
    let mut saved = Saved::new();
    let broker = Broker {
        unroutable: vec!["nowhere".into()],
        ..Broker::default()
    };
    broker.nacks.borrow_mut().insert("nowhere".into(), 1);
    let channels = fakes(&broker, 1);
    let mut publisher = Publisher::new(&channels, ADDR, 2, &mut saved.checkpoint, &saved.path);
    for key in ["a", "nowhere", "b", "nowhere"] {
        publisher.publish(message(0, key, 1)).await.unwrap();
    }
    publisher.drain().await.unwrap();
    assert_eq!(
        publisher.counts(),
        Counts {
            messages: 4,
            confirmed: 4,
            retried: 1,
            unroutable: 2,
            body_bytes: 5,
        }
    );
}

#[tokio::test]
async fn the_checkpoint_moves_only_once_every_message_before_the_mark_is_confirmed() {
    let mut saved = Saved::new();
    let broker = Broker::default();
    broker.nacks.borrow_mut().insert("m1".into(), 1);
    let channels = fakes(&broker, 1);
    let mut publisher = Publisher::new(&channels, ADDR, 2, &mut saved.checkpoint, &saved.path);
    publisher.publish(message(0, "m0", 1)).await.unwrap();
    publisher.publish(message(0, "m1", 1)).await.unwrap();
    publisher.mark(Position { consumed: vec![2] }, 2);
    // m0 confirmed, m1 not yet: the mark stands.
    publisher.publish(message(0, "m2", 1)).await.unwrap();
    assert_eq!(saved_events(&saved.path), None);
    // m1 nacked, published again, confirmed: now it moves.
    publisher.publish(message(0, "m3", 1)).await.unwrap();
    assert_eq!(saved_events(&saved.path), Some(2));
    publisher.mark(Position { consumed: vec![3] }, 3);
    publisher.mark(Position { consumed: vec![4] }, 4);
    publisher.drain().await.unwrap();
    drop(publisher);
    // The newest mark passed, in the file and in memory.
    assert_eq!(saved_events(&saved.path), Some(4));
    assert_eq!(saved.checkpoint.events, 4);
    assert_eq!(saved.checkpoint.position.consumed, [4]);
}
