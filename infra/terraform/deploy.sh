#!/usr/bin/env bash
# Deploys one environment: terraform plan, confirmation, apply, then the web app to its bucket.
#   make deploy ENV=dev PROJECT=<gcp project> TF_STATE_BUCKET=<gcs bucket for state> [DOMAIN=<domain>]
# AUTO_APPROVE=1 skips the question (CI). Needs terraform, gcloud (authenticated: Application
# Default Credentials) and npm. docs/deploy.md has the first-time steps (Aura secrets).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
ENV=${1:-${ENV:-}}
case "$ENV" in
  dev | prod) ;;
  *) echo "usage: $0 dev|prod   (ENV=$ENV)" >&2; exit 2 ;;
esac
: "${PROJECT:?set PROJECT to the Google Cloud project of $ENV}"
: "${TF_STATE_BUCKET:?set TF_STATE_BUCKET to the GCS bucket holding Terraform state}"
DIR=$ROOT/infra/terraform/envs/$ENV
tf() { terraform -chdir="$DIR" "$@"; }

terraform -chdir="$DIR" init -input=false -backend-config="bucket=$TF_STATE_BUCKET"
mkdir -p "$DIR/.build"
# DOMAIN=<site domain> overrides terraform.tfvars (prod refuses to plan without a domain).
# Neo4j's schema (constraints, indexes) is a deploy step, not a cold-start one: made before new
# functions serve, and again after the apply (idempotent) for a first deployment, whose secrets
# only exist once Terraform has made them.
sec() { gcloud secrets versions access latest --project="$PROJECT" --secret="kwetter-neo4j-$1"; }
migrate() {
  NEO4J_URI=$(sec uri) NEO4J_USER=$(sec user) NEO4J_PASSWORD=$(sec password) \
    PYTHONPATH=$ROOT python3 -m shared.migrate
}
plan_and_apply() {
  tf plan -input=false -var "project_id=$PROJECT" ${DOMAIN:+-var "domain=$DOMAIN"} -out=.build/tfplan || return 1
  if [ "${AUTO_APPROVE:-}" != 1 ]; then
    read -r -p "Apply this plan to project $PROJECT ($ENV)? [y/N] " answer
    [[ "$answer" =~ ^[yY]$ ]] || { echo "Not applied."; exit 1; }
  fi
  if sec uri >/dev/null 2>&1; then migrate; fi
  tf apply -input=false .build/tfplan || return 1
  migrate
}
# API enablement is ordered inside the plan (every module depends on it); IAM grants are
# eventually consistent (Google documents up to several minutes), so on a fresh project the
# first function revision can still be refused its new identity's rights. One more plan and
# apply, after a pause, finishes such a first deployment; a second failure is a real one.
if ! plan_and_apply; then
  echo "Apply failed; on a first deployment this is usually IAM propagation. Retrying in 90 s." >&2
  sleep 90
  plan_and_apply
fi

# The web app: built against this environment's gateway and Firebase project, then synced to
# the site bucket. index.html is never cached, the hashed assets are (Vite names them by hash).
API_URL=$(tf output -raw api_url)
BUCKET=$(tf output -raw site_bucket)
FIREBASE=$(tf output -json firebase_web_config)
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$FIREBASE" "$1"; }
(
  cd frontend
  [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
  VITE_API_BASE=$API_URL VITE_FIREBASE_PROJECT_ID=$PROJECT \
    VITE_FIREBASE_API_KEY=$(field api_key) VITE_FIREBASE_AUTH_DOMAIN=$(field auth_domain) \
    VITE_AUTH_EMULATOR_URL= npm run build
)
# Cache-Control drives Cloud CDN (cache_mode USE_ORIGIN_HEADERS) and browsers: Vite's hashed
# assets never change under a name (a year, immutable); index.html always revalidates; the
# root files (frontend/public) an hour. Assets first and nothing deleted, so a browser still
# holding the previous index.html finds its assets; index.html last, once they are all there.
if [ -d frontend/dist/assets ]; then
  gcloud storage rsync --recursive frontend/dist/assets "gs://$BUCKET/assets" \
    --cache-control="public, max-age=31536000, immutable"
fi
gcloud storage rsync frontend/dist "gs://$BUCKET" --exclude='^index\.html$' \
  --cache-control="public, max-age=3600"
gcloud storage cp frontend/dist/index.html "gs://$BUCKET/index.html" \
  --cache-control="no-cache, max-age=0"
echo
echo "API:  $API_URL"
echo "Site: $(tf output -raw site_url)"
