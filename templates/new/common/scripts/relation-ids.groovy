// Id extractor of relations: edit it if your relations carry identifiers of their own.
element = topologyElement.asReadonlyMap()
return Sts.createId(element["externalId"], new HashSet(), element["typeName"].toLowerCase())
