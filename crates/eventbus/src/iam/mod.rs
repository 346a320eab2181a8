//! AWS MSK IAM authentication: the token MSK expects over SASL
//! `OAUTHBEARER`, and where the AWS credentials that sign it come from.

#[cfg(feature = "aws")]
mod credentials;
mod sigv4;
mod token;

#[cfg(feature = "aws")]
pub use credentials::{CallerIdentity, Clock, ProvideCredentials, TokenProvider};

pub use token::{
    AwsCredentials, MskIamToken, PRINCIPAL, TOKEN_VALIDITY, decode_parameters, describe_time,
};
