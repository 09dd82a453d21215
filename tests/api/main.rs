//! Integration tests: each starts the real server on port 0 with a fresh
//! SQLite database and plays whole calls through the Twilio dialect, signed
//! as Twilio signs.

mod browser;
mod cli;
mod crash;
mod dialects;
mod gateways;
mod helpers;
mod instances;
mod journeys;
mod operations;
mod outage;
mod prompts;
mod robustness;
mod security;
mod sign_in;
mod twilio_sim;
mod volunteers;
