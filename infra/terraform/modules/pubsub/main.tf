# Every topic, subscription and dead-letter topic of shared/contracts/topology.yaml, which the
# local stack also creates in the emulator (devstack/pubsub_setup.py): same names.
#
# Push subscriptions, not Eventarc triggers: an Eventarc trigger creates and owns its own
# subscription, with no dead-letter topic and a retry policy we cannot set, so the topology's
# DLQs, backoff and max_delivery_attempts could not be honoured (docs/deploy.md).
locals {
  pubsub_agent = "serviceAccount:service-${var.project_number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

# Makes sure the Pub/Sub service agent exists before we grant it anything (new projects
# create it lazily).
resource "google_project_service_identity" "pubsub" {
  provider = google-beta
  project  = var.project_id
  service  = "pubsub.googleapis.com"
}

resource "google_pubsub_topic" "topic" {
  # checkov:skip=CKV_GCP_83: Google-managed encryption at rest; messages carry ids and post texts that Firestore also stores without CMEK, so a KMS key would add cost and key operations, not protection.
  for_each                   = var.topics
  project                    = var.project_id
  name                       = each.key
  message_retention_duration = each.value.message_retention_duration
  labels                     = var.labels
}

resource "google_pubsub_topic" "dead_letter" {
  # checkov:skip=CKV_GCP_83: Google-managed encryption at rest; messages carry ids and post texts that Firestore also stores without CMEK, so a KMS key would add cost and key operations, not protection.
  for_each = toset(var.dead_letter_topics)
  project  = var.project_id
  name     = each.value
  labels   = var.labels
}

# A topic without a subscription drops what is published to it: this keeps dead letters for
# inspection (make dlq) and redrive.
resource "google_pubsub_subscription" "dead_letter" {
  for_each                   = toset(var.dead_letter_topics)
  project                    = var.project_id
  name                       = "${each.value}-keep"
  topic                      = google_pubsub_topic.dead_letter[each.value].id
  message_retention_duration = var.dead_letter_retention
  retain_acked_messages      = true
  ack_deadline_seconds       = 60
  labels                     = var.labels
  expiration_policy {
    ttl = ""
  }
}

# The identity each push subscription signs its OIDC token with: it may invoke exactly its
# own function.
resource "google_service_account" "push" {
  for_each     = var.subscriptions
  project      = var.project_id
  account_id   = "push-${each.key}"
  display_name = "Pub/Sub push ${each.key} -> ${each.value.function}"
}

resource "google_cloud_run_v2_service_iam_member" "push_invoker" {
  for_each = var.subscriptions
  project  = var.project_id
  location = var.region
  name     = var.function_services[each.value.function]
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.push[each.key].email}"
}

# Pub/Sub mints the OIDC tokens as the push identity.
resource "google_service_account_iam_member" "push_token_creator" {
  for_each           = var.subscriptions
  service_account_id = google_service_account.push[each.key].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
  depends_on         = [google_project_service_identity.pubsub]
}

resource "google_pubsub_subscription" "push" {
  for_each                   = var.subscriptions
  project                    = var.project_id
  name                       = each.key
  topic                      = google_pubsub_topic.topic[each.value.topic].id
  ack_deadline_seconds       = each.value.ack_deadline_seconds
  retain_acked_messages      = each.value.retain_acked_messages
  message_retention_duration = each.value.message_retention_duration
  labels                     = merge(var.labels, { function = each.value.function })

  push_config {
    # functions-framework builds the CloudEvent's source from this path.
    push_endpoint = "${var.function_urls[each.value.function]}/projects/${var.project_id}/topics/${each.value.topic}"
    oidc_token {
      service_account_email = google_service_account.push[each.key].email
      audience              = var.function_urls[each.value.function]
    }
  }

  retry_policy {
    minimum_backoff = each.value.minimum_backoff
    maximum_backoff = each.value.maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.value.dead_letter_topic].id
    max_delivery_attempts = each.value.max_delivery_attempts
  }

  # Never expire for inactivity: a quiet topic must not lose its consumer.
  expiration_policy {
    ttl = ""
  }

  depends_on = [
    google_cloud_run_v2_service_iam_member.push_invoker,
    google_service_account_iam_member.push_token_creator,
  ]
}

# Dead-lettering: the service agent republishes to the DLQ and acks on the source subscription.
resource "google_pubsub_topic_iam_member" "agent_publishes_dead_letters" {
  for_each   = toset(var.dead_letter_topics)
  project    = var.project_id
  topic      = google_pubsub_topic.dead_letter[each.value].name
  role       = "roles/pubsub.publisher"
  member     = local.pubsub_agent
  depends_on = [google_project_service_identity.pubsub]
}

resource "google_pubsub_subscription_iam_member" "agent_acks_dead_letters" {
  for_each     = var.subscriptions
  project      = var.project_id
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
  depends_on   = [google_project_service_identity.pubsub]
}

resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = var.publish_grants
  project  = var.project_id
  topic    = contains(var.dead_letter_topics, each.value.topic) ? google_pubsub_topic.dead_letter[each.value.topic].name : google_pubsub_topic.topic[each.value.topic].name
  role     = "roles/pubsub.publisher"
  member   = "serviceAccount:${each.value.email}"
}
