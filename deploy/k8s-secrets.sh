#!/usr/bin/env bash
# Creates, with fresh keys, the Secrets and the public-key ConfigMap that k8s/ references by name:
#
#   deploy/k8s-secrets.sh NAMESPACE DATABASE_URL [LAUNCHDARKLY_SDK_KEY]
#
#   orchestrator-secrets               database-url, fingerprint-secret, identity-secrets-key, service-auth-private-key
#   federated-auth-secrets             service-auth-private-key
#   scoped-auth-token-signing-keys     <kid>.pem  (ES256, P-256)
#   scoped-auth-token-encryption-keys  <kid>.key  (32 random bytes, base64)
#   log-identity-key                   log-identity-key (one HMAC key for the identity hashes in every service's logs)
#   launchdarkly                       sdk-key    (required by overlays/prod, optional in dev)
#   service-auth-public-keys           orchestrator.pub.pem, federated-auth.pub.pem (a ConfigMap)
#
# The private keys exist only in the cluster afterwards (the work folder is removed). `kubectl create`
# refuses to replace existing objects: this is for a first install; rotation is in README.md ("Deploy").
# KUBECTL_FLAGS="--dry-run=client -o yaml" prints the objects instead of creating them (no cluster needed).
# Needs kubectl and openssl.
set -euo pipefail

if [ $# -lt 2 ]; then
  sed -n '2,4p' "$0" >&2
  exit 2
fi
namespace=$1
database_url=$2
launchdarkly_sdk_key=${3:-}

umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
kid="k$(date -u +%Y%m%d)"

new_p256_key() { # PKCS#8 PEM
  openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt -out "$1"
}
for service in orchestrator federated-auth; do
  new_p256_key "$work/$service.key.pem"
  openssl ec -in "$work/$service.key.pem" -pubout -out "$work/$service.pub.pem" 2>/dev/null
done
new_p256_key "$work/$kid.pem"
openssl rand -base64 32 >"$work/$kid.key"
fingerprint_secret=$(openssl rand -base64 48 | tr -d '\n')
# 32 random bytes, base64url without padding (43 characters), as IDENTITY_SECRETS_KEY requires.
identity_secrets_key=$(openssl rand -base64 32 | tr '+/' '-_' | tr -d '=\n')
# The same shape, for LOG_IDENTITY_KEY (orchestrator, federated-auth and scoped-auth).
log_identity_key=$(openssl rand -base64 32 | tr '+/' '-_' | tr -d '=\n')

k() {
  # In dry-run mode each object is printed as its own YAML document.
  if [ -n "${KUBECTL_FLAGS:-}" ]; then echo '---'; fi
  # shellcheck disable=SC2086 # KUBECTL_FLAGS is a list of flags
  kubectl --namespace "$namespace" "$@" ${KUBECTL_FLAGS:-}
}

k create secret generic orchestrator-secrets \
  --from-literal=database-url="$database_url" \
  --from-literal=fingerprint-secret="$fingerprint_secret" \
  --from-literal=identity-secrets-key="$identity_secrets_key" \
  --from-file=service-auth-private-key="$work/orchestrator.key.pem"
k create secret generic federated-auth-secrets \
  --from-file=service-auth-private-key="$work/federated-auth.key.pem"
k create secret generic log-identity-key \
  --from-literal=log-identity-key="$log_identity_key"
k create secret generic scoped-auth-token-signing-keys \
  --from-file="$kid.pem=$work/$kid.pem"
k create secret generic scoped-auth-token-encryption-keys \
  --from-file="$kid.key=$work/$kid.key"
k create configmap service-auth-public-keys \
  --from-file=orchestrator.pub.pem="$work/orchestrator.pub.pem" \
  --from-file=federated-auth.pub.pem="$work/federated-auth.pub.pem"
if [ -n "$launchdarkly_sdk_key" ]; then
  k create secret generic launchdarkly --from-literal=sdk-key="$launchdarkly_sdk_key"
else
  echo "no LaunchDarkly SDK key given: overlays/prod needs the 'launchdarkly' Secret (key sdk-key); dev falls back to the flags file" >&2
fi
