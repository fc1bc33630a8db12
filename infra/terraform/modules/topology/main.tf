# The event topology as Terraform values, with the file's defaults applied exactly the way
# shared/topology.py applies them for the local stack: prod, dev and laptops cannot drift.
locals {
  doc      = yamldecode(file(var.topology_file))
  defaults = local.doc.defaults

  topics = {
    for name, t in local.doc.topics : name => {
      description                = try(t.description, "")
      message_retention_duration = t.message_retention_duration
    }
  }

  subscriptions = {
    for name, s in local.doc.subscriptions : name => {
      topic                      = s.topic
      function                   = s.function
      dead_letter_topic          = s.dead_letter_topic
      ack_deadline_seconds       = try(s.ack_deadline_seconds, local.defaults.ack_deadline_seconds)
      retain_acked_messages      = try(s.retain_acked_messages, local.defaults.retain_acked_messages)
      message_retention_duration = try(s.message_retention_duration, local.defaults.message_retention_duration)
      minimum_backoff            = try(s.retry_policy.minimum_backoff, local.defaults.retry_policy.minimum_backoff)
      maximum_backoff            = try(s.retry_policy.maximum_backoff, local.defaults.retry_policy.maximum_backoff)
      max_delivery_attempts      = try(s.max_delivery_attempts, local.defaults.max_delivery_attempts)
    }
  }

  dead_letter_topics = keys(local.doc.dead_letter_topics)
  http_functions     = local.doc.http_functions
  event_functions    = distinct([for s in local.subscriptions : s.function])
}
