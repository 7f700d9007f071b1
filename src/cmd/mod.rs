//! One module per subcommand.

pub mod extract;
pub mod generate;
pub mod inspect;
pub mod load;
pub mod transform;
pub mod verify;
