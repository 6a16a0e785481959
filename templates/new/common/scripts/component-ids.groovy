// Id extractor of components: edit it to build the identifiers StackState merges components on
// (here: the element's externalId, its `identifiers` and its type name).
element = topologyElement.asReadonlyMap()
identifiers = new HashSet(element["data"]["identifiers"] ?: [])
return Sts.createId(element["externalId"], identifiers, element["typeName"].toLowerCase())
