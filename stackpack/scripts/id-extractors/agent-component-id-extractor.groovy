// Agent component id extractor.
// ILLUSTRATIVE: the StackPack's own script is not public. This follows the documented contract
// of id extractor functions: read the element, return Sts.createId(externalId, identifiers, type).
element = topologyElement.asReadonlyMap()

externalId = element["externalId"]
type = element["typeName"].toLowerCase()
data = element["data"]

identifiers = new HashSet()
if (data.containsKey("identifiers") && data["identifiers"] instanceof List) {
    data["identifiers"].each { id ->
        identifiers.add(id)
    }
}

return Sts.createId(externalId, identifiers, type)
