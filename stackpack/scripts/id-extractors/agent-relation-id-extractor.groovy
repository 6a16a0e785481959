// Agent relation id extractor.
// ILLUSTRATIVE: the StackPack's own script is not public. Relations are identified by their
// external id only (e.g. `TCP:/urn:process:/a:1:2->urn:process:/b:3:4:…` for connections).
element = topologyElement.asReadonlyMap()

externalId = element["externalId"]
type = element["typeName"].toLowerCase()

return Sts.createId(externalId, new HashSet(), type)
