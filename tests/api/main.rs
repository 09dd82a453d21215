//! Integration tests: each starts the real server on port 0 with a fresh
//! SQLite database and plays whole calls through the Twilio dialect, signed
//! as Twilio signs.

mod backups;
mod browser;
mod callback_number;
mod case_page;
mod case_screen;
mod cli;
mod connections;
mod crash;
mod csrf;
mod data_dir;
mod deploy;
mod dialects;
mod disk_full;
mod districts;
mod first_start;
mod gateways;
mod graceful;
mod headers;
mod helpers;
mod imports;
mod instances;
mod journeys;
mod languages;
mod loadgen;
mod malformed;
mod operations;
mod outage;
mod password_reset;
mod people;
mod people_sharing;
mod prompts;
mod reports;
mod robustness;
mod security;
mod sequences;
mod sign_in;
mod state_guess;
mod stores;
mod twilio_sim;
mod units;
mod user_edits;
mod users;
mod volunteers;
