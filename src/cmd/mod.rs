//! One module per subcommand, and [`args`]: the argument groups and the
//! runtime several of them share.

pub mod args;
pub mod bench;
pub mod extract;
pub mod generate;
pub mod inspect;
pub mod load;
pub mod load_postgres;
pub mod run;
pub mod seed;
pub mod transform;
pub mod verify;
