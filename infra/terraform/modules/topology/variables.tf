variable "topology_file" {
  description = "Path of shared/contracts/topology.yaml, the one description of the event topology."
  type        = string
}
