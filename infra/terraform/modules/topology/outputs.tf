output "topics" {
  description = "Topic name => description and message retention."
  value       = local.topics
}

output "subscriptions" {
  description = "Push subscription name => topic, function, DLQ, ack deadline, retention, retry, attempts."
  value       = local.subscriptions
}

output "dead_letter_topics" {
  description = "Dead-letter topic names; each gets a pull subscription that keeps what lands there."
  value       = local.dead_letter_topics
}

output "http_functions" {
  description = "Functions served through API Gateway."
  value       = local.http_functions
}

output "event_functions" {
  description = "Functions that subscriptions push to."
  value       = local.event_functions
}

output "dead_letter_retention" {
  description = "How long a dead-letter pull subscription keeps messages (the maximum, 7 days)."
  value       = local.defaults.message_retention_duration
}
