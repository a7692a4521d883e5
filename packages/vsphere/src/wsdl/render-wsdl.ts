import { complexTypes, operations, type Field } from './vim25-schema.js';

/** The vim25 API version whose SOAPAction this client sends (vcsim and vSphere 6.5+ accept it). */
export const VIM_VERSION = '6.5';

const occurs = (field: Field): string =>
  field.occurs === 'one' ? '' : field.occurs === 'optional' ? ' minOccurs="0"' : ' minOccurs="0" maxOccurs="unbounded"';

const element = (field: Field): string => `<element name="${field.name}" type="${field.type}"${occurs(field)}/>`;

const sequence = (fields: readonly Field[]): string => `<sequence>${fields.map(element).join('')}</sequence>`;

function schema(): string {
  const types = Object.entries(complexTypes).map(([name, type]) =>
    type.base
      ? `<complexType name="${name}"><complexContent><extension base="${type.base}">${sequence(type.fields)}</extension></complexContent></complexType>`
      : `<complexType name="${name}">${sequence(type.fields)}</complexType>`,
  );
  const messages = Object.entries(operations).flatMap(([name, op]) => [
    `<element name="${name}"><complexType>${sequence(op.params)}</complexType></element>`,
    `<element name="${name}Response"><complexType>${op.returns ? sequence([op.returns]) : '<sequence/>'}</complexType></element>`,
  ]);
  return [
    '<schema xmlns="http://www.w3.org/2001/XMLSchema" xmlns:vim="urn:vim25" xmlns:xsd="http://www.w3.org/2001/XMLSchema"',
    ' targetNamespace="urn:vim25" elementFormDefault="qualified">',
    '<complexType name="ManagedObjectReference"><simpleContent><extension base="xsd:string">',
    '<attribute name="type" type="xsd:string"/></extension></simpleContent></complexType>',
    ...types,
    ...messages,
    '</schema>',
  ].join('');
}

/** Renders the WSDL document node-soap reads: one port type and binding with every operation we use. */
export function renderVim25Wsdl(): string {
  const names = Object.keys(operations);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"',
    ' xmlns:vim="urn:vim25" xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:vim25">',
    `<types>${schema()}</types>`,
    ...names.flatMap((name) => [
      `<message name="${name}RequestMsg"><part name="parameters" element="vim:${name}"/></message>`,
      `<message name="${name}ResponseMsg"><part name="parameters" element="vim:${name}Response"/></message>`,
    ]),
    '<portType name="VimPortType">',
    ...names.map(
      (name) =>
        `<operation name="${name}"><input message="vim:${name}RequestMsg"/><output message="vim:${name}ResponseMsg"/></operation>`,
    ),
    '</portType>',
    '<binding name="VimBinding" type="vim:VimPortType">',
    '<soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>',
    ...names.map(
      (name) =>
        `<operation name="${name}"><soap:operation soapAction="urn:vim25/${VIM_VERSION}" style="document"/>` +
        '<input><soap:body use="literal"/></input><output><soap:body use="literal"/></output></operation>',
    ),
    '</binding>',
    '<service name="VimService"><port name="VimPort" binding="vim:VimBinding">',
    '<soap:address location="https://localhost/sdk"/></port></service>',
    '</definitions>',
  ].join('\n');
}
