/** An AWS region name such as us-east-1, eu-west-2 or us-gov-west-1. */
export const isAwsRegion = (text: string): boolean => /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(text)
